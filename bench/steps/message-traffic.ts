// The bench's message traffic around each phase: the sender's account and worker, start
// and stop (with the quiet wait for late deliveries), and after the last phase the
// receivers' last login that collects what offline storage still holds. What the
// messages' fate was is computed by analysis/messages.ts.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {lateArrivals, mergeSeen, messageFigures, type SentMessages} from '../analysis/messages.js'
import {r1, sum} from '../analysis/stats.js'
import type {BenchContext} from '../context.js'
import type {SenderOptions} from '../fleet/message-sender.js'
import {type Pool, startPool} from '../fleet/pool.js'
import type {WorkerLog} from '../fleet/protocol.js'
import type {AdminApi} from '../lab/admin-api.js'
import {type LabInfo, serviceOf} from '../lab/lab-info.js'
import {type RouteProbe, startRouteProbe} from '../lab/route-probe.js'
import {startViewProbe, type ViewProbe} from '../lab/view-probe.js'
import type {BenchResult, MessageFigures, ServerModules} from '../results.js'
import {type BenchSettings, DRAIN_NODE, SENDER} from '../settings.js'
import {fleetBasics, loginTimeoutMs, stopFleet} from './fleet-steps.js'

export interface MessageTraffic {
  /** The sender's own worker. */
  pool: Pool
  /** The receivers, in the sender's round-robin order. */
  receivers: string[]
  /** Each phase's lost messages (seq numbers), by tag: settleLateArrivals looks for them later. */
  lostByTag: Map<string, number[]>
  start: Omit<SenderOptions, 'tag'>
  probe: ViewProbe | null
  routeProbe: RouteProbe | null
}

/** The sender's account and worker, and who receives: msgUsers users spread over the fleet; null when BENCH_MSG_RATE=0. */
export async function prepareMessages({
  settings,
  lab,
  api,
  users,
  result,
}: {
  settings: BenchSettings
  lab: LabInfo
  api: AdminApi
  users: string[]
  result: BenchResult
}): Promise<MessageTraffic | null> {
  const {msgRate, msgUsers, msgGraceMs, users: N} = settings
  if (msgRate === 0) return null
  try {
    await api.call('register', {user: SENDER, host: lab.domain, password: lab.userPassword})
  } catch (error) {
    if (!/already|exists|conflict|409/i.test((error as Error).message)) throw error
  }
  const receivers = Array.from({length: msgUsers}, (_, k) => users[Math.floor((k * N) / msgUsers)])
  const node = lab.nodes[1]
  result.settings.messages = {
    ratePerS: msgRate,
    receivers: msgUsers,
    perReceiverPerS: r1(msgRate / msgUsers),
    graceMs: msgGraceMs,
    sender: `${SENDER}@${lab.domain} on ${node.name}, to the receivers' full JIDs (…/rehearsal), type chat`,
    serverModules: serverModules(lab),
  }
  return {
    pool: await startPool(1),
    receivers,
    lostByTag: new Map(),
    start: {
      service: serviceOf(node),
      domain: lab.domain,
      user: SENDER,
      password: lab.userPassword,
      targets: receivers.map((user) => `${user}@${lab.domain}/rehearsal`),
      rate: msgRate,
    },
    probe: null,
    routeProbe: null,
  }
}

/** What the lab's ejabberd.yml turns on that decides a message's fate: offline storage, stream management. */
function serverModules(lab: LabInfo): ServerModules | null {
  const path = join(lab.dir, 'node1', 'ejabberd.yml')
  if (!existsSync(path)) return null
  const yml = readFileSync(path, 'utf8')
  return {
    mod_offline: /^ {2}mod_offline:/m.test(yml),
    maxUserOfflineMessages: /max_user_offline_messages:\n(?:\s+\d+: \w+\n)*?\s+(\d+): all/.exec(yml)?.[1] ?? null,
    mod_stream_mgmt: /^ {2}mod_stream_mgmt:/m.test(yml),
    resumeTimeoutS: /mod_stream_mgmt:\n\s+resume_timeout: (\d+)/.exec(yml)?.[1] ?? null,
    resendOnTimeout: /mod_stream_mgmt:\n(?:\s+\w+: \S+\n)*?\s+resend_on_timeout: (\S+)/.exec(yml)?.[1] ?? 'false (default)',
  }
}

/** `tag`: the phase, written into every message. With BENCH_VIEW_PROBE=1, the sender's node's session table is read meanwhile. */
export async function startMessages(ctx: BenchContext, tag: string): Promise<void> {
  const traffic = ctx.messages
  if (!traffic) return
  if (ctx.settings.viewProbe) traffic.probe = startViewProbe(ctx.lab, ctx.api, {node: 1, users: traffic.receivers})
  if (ctx.settings.routeProbe) traffic.routeProbe = startRouteProbe(ctx.lab, {node: 1, users: traffic.receivers})
  await traffic.pool.all('sendStart', () => ({...traffic.start, tag}))
}

/** Stops the sender after its grace period (late deliveries, bounces); null if none ran. */
export async function stopMessages(ctx: BenchContext): Promise<SentMessages | null> {
  const traffic = ctx.messages
  if (!traffic) return null
  const graceMs = ctx.settings.msgGraceMs
  const [report] = await traffic.pool.all('sendStop', () => ({graceMs}), graceMs + 30_000)
  const sent: SentMessages = report
  if (traffic.probe) {
    sent.view = await traffic.probe.stop()
    traffic.probe = null
  }
  if (traffic.routeProbe) {
    sent.route = await traffic.routeProbe.stop()
    traffic.routeProbe = null
  }
  // A busy fleet worker reads its sockets late: wait until no message has come for 2 s (at most 30 s).
  const {clock} = ctx
  let last = -1
  let quietSince = clock.now()
  const deadline = clock.now() + 30_000
  while (clock.now() < deadline && clock.now() - quietSince < 2000) {
    const total = sum(await ctx.pool.all('counts'), (c) => c.messages)
    if (total !== last) {
      last = total
      quietSince = clock.now()
    }
    await clock.sleep(250)
  }
  return sent
}

/**
 * The phase's messages (analysis/messages.ts), its lost ones kept for settleLateArrivals;
 * then, for the receivers that lost some, how many messages offline storage still holds
 * (asked of `apiNode`, a node that runs). null when no sender ran.
 */
export async function messageOutcome(
  ctx: BenchContext,
  sent: SentMessages | null,
  logs: WorkerLog[],
  origin: number,
  tag: string,
  apiNode = 0,
): Promise<MessageFigures | null> {
  const traffic = ctx.messages
  if (!sent || !traffic) return null
  const {figures, lost} = messageFigures({sent, logs, receivers: traffic.receivers, origin, tag, drainNode: DRAIN_NODE})
  traffic.lostByTag.set(tag, lost)
  // Raw, for a closer look at the losses: each lost one (receiver, seq, sent at), and the route probe's polls.
  const dir = join(ctx.settings.work, tag)
  mkdirSync(dir, {recursive: true})
  const sentAt = (seq: number) => Math.round(sent.startedAt + ((seq - 1) * 1000) / sent.rate)
  writeFileSync(join(dir, 'lost-messages.json'), JSON.stringify(lost.map((seq) => [traffic.receivers[(seq - 1) % traffic.receivers.length], seq, sentAt(seq)])))
  if (sent.route) writeFileSync(join(dir, 'route-probe.json'), JSON.stringify(sent.route))
  await countStillStored(ctx, figures, apiNode)
  return figures
}

/**
 * After the phase (sessions closed, sender stopped): how many messages ejabberd still
 * holds in offline storage for the receivers that lost some — where a lost message that
 * was stored after the user's presence had emptied the store stays until the next login.
 */
async function countStillStored(ctx: BenchContext, messages: MessageFigures, apiNode: number): Promise<void> {
  if (messages.lost === 0) return
  const users = Object.keys(messages.lostByUser)
  const counts = await Promise.all(
    users.map((user) =>
      ctx.api.call('get_offline_count', {user, server: ctx.lab.domain}, {node: apiNode}).then(
        (answer: any) => Number(answer?.value ?? answer),
        () => null,
      ),
    ),
  )
  messages.stillInOfflineStorage = Object.fromEntries(users.map((user, i) => [user, counts[i]]))
}

/**
 * After the last phase: the receivers log in once more (node-2, with presence), so that
 * ejabberd hands over what it still stores; then, for every phase, which of its lost
 * messages reached their receiver later (after the phase was counted, or at a later
 * login) and which never did.
 */
export async function settleLateArrivals(ctx: BenchContext): Promise<void> {
  const {messages: traffic, pool, lab, slices, result, settings} = ctx
  if (!traffic) return
  const service = serviceOf(lab.nodes[1])
  const receivers = new Set(traffic.receivers)
  ctx.say(`messages: the ${receivers.size} receivers log in once more, to collect what offline storage still holds`)
  try {
    await pool.all(
      'login',
      (w) => ({...fleetBasics(ctx), groups: [{service, users: slices[w].filter((user) => receivers.has(user))}]}),
      loginTimeoutMs(settings.users),
    )
    await ctx.clock.sleep(3000)
    await pool.all('collect', () => ({withStats: false}))
    await stopFleet(ctx, 1)
  } catch (error) {
    ctx.say(`messages: the last login failed (${(error as Error).message}); late arrivals are counted up to the last phase`)
  }
  const seen = mergeSeen(await pool.all('seen'))
  for (const phase of Object.values(result.phases)) {
    const m = 'messages' in phase ? phase.messages : null
    const lost = m && traffic.lostByTag.get(m.tag)
    if (!m || !lost) continue
    Object.assign(m, lateArrivals(lost, seen.get(m.tag)))
  }
}
