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

/**
 * A drain leaves its node cordoned (with the companion; kubectl's habit): every phase that
 * logs in on node-1 uncordons the nodes first. Without the companion the call is refused
 * (HTTP 404): nothing to undo then.
 */
export async function uncordonAll(ctx: Pick<BenchContext, 'lab' | 'api'>): Promise<void> {
  for (const node of ctx.lab.nodes) await ctx.api.call('xtransfer_uncordon', {node: node.server}).catch(() => undefined)
}

/** Every user logs in on the node being drained. */
export async function fleetOnSource(ctx: BenchContext, label: string, mode?: TransferMode): Promise<FleetSetup> {
  const {lab, pool, slices, settings} = ctx
  await uncordonAll(ctx)
  const service = serviceOf(lab.nodes[0])
  ctx.say(`${label}: fleet of ${settings.users} logs in on ${DRAIN_NODE}`)
  const started = ctx.clock.now()
  const logins = await pool.all('login', (w) => ({...fleetBasics(ctx, mode), groups: [{service, users: slices[w]}]}), loginTimeoutMs(settings.users))
  const failures = logins.flatMap((login) => login.failures)
  if (failures.length) throw new Error(`${label}: the fleet could not log in on ${DRAIN_NODE}: ${failures.join('; ').slice(0, 500)}`)
  const seconds = (Math.max(...logins.map((login) => login.endedAt)) - started) / 1000
  return {timeS: r1(seconds), loginsPerS: r1(settings.users / seconds)}
}

/** The ordinary clients' reconnect delay: @xmpp/client's own default. */
export const ORDINARY_RECONNECT_DELAY_MS = 1000

/**
 * Every user logs in on the node being drained as an unmodified @xmpp/client app
 * (fleet/ordinary-clients.ts); once online, each one's service is node-2 (odd users) or
 * node-3 (even users): where the library reconnects, as once the operator has taken
 * node-1 out of DNS SRV or the load balancer.
 */
export async function crowdOnSource(ctx: BenchContext, label: string): Promise<FleetSetup> {
  const {lab, pool, slices, settings, users} = ctx
  const service = serviceOf(lab.nodes[0])
  const targets = lab.nodes.slice(1)
  const reconnectTo = Object.fromEntries(users.map((user, i) => [user, serviceOf(targets[i % targets.length])]))
  await uncordonAll(ctx)
  ctx.say(`${label}: ${settings.users} unmodified @xmpp/client apps log in on ${DRAIN_NODE}`)
  const started = ctx.clock.now()
  const logins = await pool.all(
    'loginOrdinary',
    (w) => ({
      password: lab.userPassword,
      domain: lab.domain,
      parallelism: settings.parallelism,
      reconnectDelayMs: ORDINARY_RECONNECT_DELAY_MS,
      loginTimeout: 30_000,
      groups: [{service, users: slices[w], reconnectTo: Object.fromEntries(slices[w].map((user) => [user, reconnectTo[user]]))}],
    }),
    loginTimeoutMs(settings.users),
  )
  const failures = logins.flatMap((login) => login.failures)
  if (failures.length) throw new Error(`${label}: the ordinary clients could not log in on ${DRAIN_NODE}: ${failures.join('; ').slice(0, 500)}`)
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
  /** Online users by the service their client is connected to. */
  byService: Record<string, number>
}

/** Polls the workers' counts until `done(totals)` or the time runs out; says which. */
export async function waitFor(ctx: BenchContext, done: (totals: FleetTotalsNow) => boolean, ms: number): Promise<boolean> {
  const deadline = ctx.clock.now() + ms
  for (;;) {
    const counts = await ctx.pool.all('counts')
    const byService: Record<string, number> = {}
    for (const c of counts) for (const [service, n] of Object.entries(c.byService)) byService[service] = (byService[service] ?? 0) + n
    const totals = {
      online: sum(counts, (c) => c.online),
      transferred: sum(counts, (c) => c.transferred),
      rebound: sum(counts, (c) => c.rebound),
      byService,
    }
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
