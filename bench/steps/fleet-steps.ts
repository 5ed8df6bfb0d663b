// The fleet's moves that every phase is made of: log in on a node, wait until a count is
// reached, close every session and wait until the cluster lists none.
import type {TransferMode} from '../../src/client/index.js'
import {r1, sum} from '../analysis/stats.js'
import type {BenchContext} from '../context.js'
import type {FleetBasics} from '../fleet/protocol.js'
import type {AdminApi} from '../lab/admin-api.js'
import {serviceOf} from '../lab/lab-info.js'
import type {FleetSetup} from '../results.js'
import {DRAIN_NODE} from '../settings.js'

export function fleetBasics(ctx: Pick<BenchContext, 'lab' | 'settings'>, mode: TransferMode = 'make-before-break'): FleetBasics {
  const {lab, settings} = ctx
  return {
    password: lab.userPassword,
    domain: lab.domain,
    parallelism: settings.parallelism,
    mode,
    trustedAdmins: [lab.adminJid],
    loginTimeout: 30_000,
    presence: true,
  }
}

/** A whole fleet's login, bounded: 20 logins/s at the worst. */
export function loginTimeoutMs(users: number): number {
  return 60_000 + users * 50
}

/** Every user logs in on the node being drained. */
export async function fleetOnSource(ctx: BenchContext, label: string, mode?: TransferMode): Promise<FleetSetup> {
  const {lab, pool, slices, settings} = ctx
  const service = serviceOf(lab.nodes[0])
  ctx.say(`${label}: fleet of ${settings.users} logs in on ${DRAIN_NODE}`)
  const started = ctx.clock.now()
  const logins = await pool.all('login', (w) => ({...fleetBasics(ctx, mode), groups: [{service, users: slices[w]}]}), loginTimeoutMs(settings.users))
  const failures = logins.flatMap((login) => login.failures)
  if (failures.length) throw new Error(`${label}: the fleet could not log in on ${DRAIN_NODE}: ${failures.join('; ').slice(0, 500)}`)
  const seconds = (Math.max(...logins.map((login) => login.endedAt)) - started) / 1000
  return {timeS: r1(seconds), loginsPerS: r1(settings.users / seconds)}
}

/** `apiNode`: the node whose API says when the cluster is empty (one that runs). */
export async function stopFleet(ctx: BenchContext, apiNode = 0): Promise<void> {
  await ctx.pool.all('stop', () => ({}), 60_000)
  await waitEmpty(ctx, {node: apiNode})
}

export interface FleetTotalsNow {
  online: number
  transferred: number
  rebound: number
}

/** Polls the workers' counts until `done(totals)` or the time runs out; says which. */
export async function waitFor(ctx: BenchContext, done: (totals: FleetTotalsNow) => boolean, ms: number): Promise<boolean> {
  const deadline = ctx.clock.now() + ms
  for (;;) {
    const counts = await ctx.pool.all('counts')
    const totals = {online: sum(counts, (c) => c.online), transferred: sum(counts, (c) => c.transferred), rebound: sum(counts, (c) => c.rebound)}
    if (done(totals)) return true
    if (ctx.clock.now() > deadline) {
      ctx.say(`gave up waiting after ${Math.round(ms / 1000)} s: ${JSON.stringify(totals)}`)
      return false
    }
    await ctx.clock.sleep(250)
  }
}

/** Until the cluster lists no user session (the admin's own aside); bounded. */
export async function waitEmpty(
  ctx: {api: AdminApi; clock: BenchContext['clock']; say: BenchContext['say']},
  {ms = 90_000, node = 0}: {ms?: number; node?: number} = {},
): Promise<void> {
  const deadline = ctx.clock.now() + ms
  for (;;) {
    const rows = (await ctx.api.call('connected_users_info', {}, {node}).catch(() => null)) as {jid: string}[] | null
    const left = rows ? rows.filter((row) => !row.jid.startsWith('admin@')).length : -1
    if (left === 0) return
    if (ctx.clock.now() > deadline) {
      ctx.say(`warning: ${left} sessions still listed after ${ms / 1000} s`)
      return
    }
    await ctx.clock.sleep(500)
  }
}
