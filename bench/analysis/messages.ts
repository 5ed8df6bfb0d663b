// The message analysis, all of it: from what the sender sent (and had bounced) and what the
// receivers' logs say they got, each phase's messages sent / delivered / lost / duplicated /
// bounced / through offline storage, delivery delays, where each lost message's receiver
// was when it went out, and (after the last phase) which lost messages arrived later.
// Pure functions: the sender's lifecycle is steps/message-traffic.ts.
import type {WorkerLog} from '../fleet/protocol.js'
import type {SenderReport} from '../fleet/message-sender.js'
import type {RouteProbeResult} from '../lab/route-probe.js'
import type {ViewProbeResult} from '../lab/view-probe.js'
import {staleRouteFigures} from './stale-routes.js'
import type {MessageFigures} from '../results.js'
import {countBy, r1, type Spread, spread} from './stats.js'

/** What the sender reported for a phase, with the sender's node's view when BENCH_VIEW_PROBE=1. */
export type SentMessages = SenderReport & {view?: ViewProbeResult; route?: RouteProbeResult}

export interface MessageInput {
  sent: SentMessages
  /** Every worker's log of the phase. */
  logs: WorkerLog[]
  /** The receivers, in the sender's round-robin order. */
  receivers: string[]
  /** The phase's t = 0 (epoch ms). */
  origin: number
  tag: string
  /** The node being emptied: the view probe looks for receivers still listed on it. */
  drainNode: string
}

/** Sent, delivered (first copies), lost, duplicated and delivery delay, from the receivers' logs; and the lost seqs. */
export function messageFigures({sent, logs, receivers, origin, tag, drainNode}: MessageInput): {figures: MessageFigures; lost: number[]} {
  const targetOf = (seq: number) => receivers[(seq - 1) % receivers.length]
  const copies = new Map<number, number>()
  const delays: number[] = []
  let viaStorage = 0
  let misrouted = 0
  const duplicates: MessageFigures['duplicateSample'] = []
  // Messages of earlier phases that reached their receiver only now (kept in offline storage).
  const earlier: Record<string, number> = {}
  for (const [user, phase, seq, sentAt, at, delayed] of logs.flatMap((log) => log.messages)) {
    if (phase !== tag) {
      earlier[phase] = (earlier[phase] ?? 0) + 1
      continue
    }
    if (seq > sent.sent || targetOf(seq) !== user) {
      misrouted++
      continue
    }
    const n = (copies.get(seq) ?? 0) + 1
    copies.set(seq, n)
    if (n === 1) {
      delays.push(at - sentAt)
      if (delayed) viaStorage++
    } else if (duplicates.length < 10) duplicates.push([user, seq, r1((sentAt - origin) / 1000), delayed ? 'delayed' : 'live'])
  }
  const bounced = new Map(sent.bounced)
  const lost: number[] = []
  for (let seq = 1; seq <= sent.sent; seq++) if (!copies.has(seq)) lost.push(seq)
  // A lost message's send time, from the sender's steady pace.
  const sentAtOf = (seq: number) => sent.startedAt + ((seq - 1) * 1000) / sent.rate
  const timelines = sessionTimelines(logs)
  const explained: LostMessage[] = lost.map((seq) => ({
    seq,
    user: targetOf(seq),
    sentAt: sentAtOf(seq),
    ...whenSent(timelines.get(targetOf(seq)) ?? [], sentAtOf(seq)),
    bounce: bounced.get(seq) ?? null,
    ...(sent.view ? {listed: listedBefore(sent.view, targetOf(seq), sentAtOf(seq))} : {}),
  }))
  const figures: MessageFigures = {
    tag,
    sent: sent.sent,
    delivered: copies.size,
    lost: lost.length,
    duplicated: [...copies.values()].reduce((total, n) => total + n - 1, 0),
    delayMs: spread(delays),
    throughStorage: viaStorage,
    bounced: sent.bounced.length,
    bounceConditions: countBy(sent.bounced, ([, condition]) => condition),
    // The sender was told "not delivered" for a message the receiver has: ejabberd bounces the
    // unacknowledged stanzas of a session that ends (mod_stream_mgmt, resend_on_timeout: false).
    bouncedButDelivered: sent.bounced.filter(([seq]) => copies.has(seq)).length,
    // Where the receiver was when each lost message was sent (see whenSent).
    lostWhen: countBy(explained, (loss) => `${loss.when}${loss.bounce ? ` (bounced: ${loss.bounce})` : ' (no bounce)'}`),
    misrouted,
    fromEarlierPhases: earlier,
    sendingS: r1((sent.stoppedAt - sent.startedAt) / 1000),
    senderProblems: {
      sendFailures: sent.sendFailures,
      streamErrors: sent.streamErrors.slice(0, 5),
      droppedAtS: sent.droppedAt === null ? null : r1((sent.droppedAt - origin) / 1000),
    },
    lostByUser: countBy(explained, (loss) => loss.user),
    // BENCH_VIEW_PROBE=1: where the sender's node listed each lost message's receiver in its last sample before the send,
    // and how long it kept listing receivers on node-1 after their session there had ended.
    ...(sent.view ? {viewOfTheSendersNode: viewFigures(sent.view, timelines, explained, drainNode)} : {}),
    // BENCH_ROUTE_PROBE=1: which messages were sent while the sender's node routed their receiver to an exited process.
    ...(sent.route
      ? {
          staleRoutes: staleRouteFigures(
            sent.route,
            Array.from({length: sent.sent}, (_, k): [string, number, boolean] => [targetOf(k + 1), sentAtOf(k + 1), !copies.has(k + 1)]),
          ),
        }
      : {}),
    // [receiver, seq, sent at (s from the phase's origin), the receiver's nearest session event, bounce condition or null]
    lostSample: explained.slice(0, 10).map((loss) => [loss.user, loss.seq, r1((sentAtOf(loss.seq) - origin) / 1000), loss.detail, loss.bounce]),
    // [receiver, seq, sent at (s), how the extra copy came]
    duplicateSample: duplicates,
  }
  return {figures, lost}
}

interface LostMessage {
  seq: number
  user: string
  sentAt: number
  when: string
  detail: string
  bounce: string | null
  /** BENCH_VIEW_PROBE=1: where the sender's node listed the receiver (undefined: no sample before the send). */
  listed?: string | null | undefined
}

type SessionEvent = [t: number, what: string]

/** Each user's session events in a phase, in time order. */
export function sessionTimelines(logs: WorkerLog[]): Map<string, SessionEvent[]> {
  const byUser = new Map<string, SessionEvent[]>()
  const add = (user: string, t: number, what: string) => {
    let events = byUser.get(user)
    if (!events) byUser.set(user, (events = []))
    events.push([t, what])
  }
  for (const log of logs) {
    for (const [user, t] of log.packets) add(user, t, 'transfer packet')
    for (const [user, t] of log.transferred) add(user, t, 'new session bound')
    for (const [user, t] of log.offline) add(user, t, 'session ended, none bound')
    for (const [user, t] of log.rebound) add(user, t, 'bound again')
  }
  for (const events of byUser.values()) events.sort((a, b) => a[0] - b[0])
  return byUser
}

/** Where a receiver was when a message was sent to it: its last session event before, and the next. */
export function whenSent(events: SessionEvent[], at: number): {when: string; detail: string} {
  let last: SessionEvent | null = null
  for (const event of events) if (event[0] <= at) last = event
  const next = events.find((event) => event[0] > at)
  const ms = (t: number) => Math.round(t - at)
  const detail = [last && `${last[1]} ${ms(last[0])} ms`, next && `${next[1]} +${ms(next[0])} ms`].filter(Boolean).join('; ') || 'no session event'
  if (last?.[1] === 'session ended, none bound') return {when: 'while the user had no session', detail}
  if (next && next[0] - at <= 2000 && (next[1] === 'session ended, none bound' || next[1] === 'new session bound'))
    return {when: `within 2 s before its session changed (${next[1]})`, detail}
  if (last && at - last[0] <= 2000) return {when: `within 2 s after ${last[1]}`, detail}
  return {when: 'no session change within 2 s', detail}
}

/** Where the probed node listed `user` in the last sample taken before `at` (undefined: no sample). */
export function listedBefore(view: ViewProbeResult, user: string, at: number): string | null | undefined {
  // Samples are in time order: the last one at or before `at`.
  for (let i = view.samples.length - 1; i >= 0; i--) {
    const [t, where] = view.samples[i]
    if (t <= at) return where[user]
  }
  return undefined
}

/**
 * How long the probed node kept listing users on `oldNode` after their session there had
 * ended (`endedAt`: user → when the user's client saw it end). Each sample after the end
 * that still lists the user there counts, with its delay.
 */
export function staleListings(
  view: ViewProbeResult,
  endedAt: Map<string, number>,
  oldNode: string,
): {listingsAfterTheEnd: number; stillOnTheOldNode: number; staleMs: number[]} {
  let after = 0
  const staleMs: number[] = []
  for (const [t, where] of view.samples) {
    for (const [user, node] of Object.entries(where)) {
      const end = endedAt.get(user)
      if (end === undefined || t <= end) continue
      after++
      if (node === oldNode) staleMs.push(t - end)
    }
  }
  return {listingsAfterTheEnd: after, stillOnTheOldNode: staleMs.length, staleMs}
}

export interface ViewFigures {
  node: string
  samples: number
  failures: number
  sampleSpacingMs: Spread
  afterTheirNode1SessionEnded: {listings: number; stillOnNode1: number; forMs: Spread}
  lostListedBeforeTheSend: Record<string, number>
}

/** BENCH_VIEW_PROBE=1: the sender's node's listings set against the receivers' session events and the lost messages. */
function viewFigures(view: ViewProbeResult, timelines: Map<string, SessionEvent[]>, explained: LostMessage[], drainNode: string): ViewFigures {
  const endedAt = new Map<string, number>()
  for (const [user, events] of timelines) {
    const end = events.find(([, what]) => what === 'session ended, none bound' || what === 'new session bound')
    if (end) endedAt.set(user, end[0])
  }
  const stale = staleListings(view, endedAt, drainNode)
  return {
    node: view.node,
    samples: view.samples.length,
    failures: view.failures,
    sampleSpacingMs: spread(view.samples.slice(1).map(([t], i) => t - view.samples[i][0])),
    afterTheirNode1SessionEnded: {listings: stale.listingsAfterTheEnd, stillOnNode1: stale.stillOnTheOldNode, forMs: spread(stale.staleMs)},
    lostListedBeforeTheSend: countBy(explained, (loss) => {
      const wasOver = endedAt.has(loss.user) && (endedAt.get(loss.user) as number) <= loss.sentAt
      const where = loss.listed === undefined ? 'no sample before it' : loss.listed === null ? 'no session' : `on ${loss.listed}`
      return `${where}${wasOver ? ' (its node-1 session had ended)' : ''}`
    }),
  }
}

/**
 * Every bench message the receivers ever got (`seen`, from the workers: tag → seqs, negative
 * when the first copy came through storage), merged over workers: tag → seq → through storage.
 */
export function mergeSeen(parts: Record<string, number[]>[]): Map<string, Map<number, boolean>> {
  const seen = new Map<string, Map<number, boolean>>()
  for (const part of parts) {
    for (const [tag, seqs] of Object.entries(part)) {
      let bySeq = seen.get(tag)
      if (!bySeq) seen.set(tag, (bySeq = new Map()))
      for (const signed of seqs) bySeq.set(Math.abs(signed), signed < 0)
    }
  }
  return seen
}

/** Of a phase's lost messages, which reached their receiver later (live, or from storage at a later login), and how many never did. */
export function lateArrivals(
  lost: number[],
  seen: Map<number, boolean> | undefined,
): {arrivedLater: {live: number; fromStorage: number}; neverArrived: number} {
  const later = lost.filter((seq) => seen?.has(seq))
  const fromStorage = later.filter((seq) => seen?.get(seq)).length
  return {arrivedLater: {live: later.length - fromStorage, fromStorage}, neverArrived: lost.length - later.length}
}
