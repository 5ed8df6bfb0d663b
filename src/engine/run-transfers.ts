import {ACK_NONE, isRefusal, isUnsupported} from '../model/ack.js'
import type {Clock} from '../model/clock.js'
import type {ActionResult, SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import {newRecord, type PlannedTransfer, type RungRecord, type TransferRecord} from '../model/transfer.js'
import {handoverFits} from './ladder/client-profiles.js'
import type {MoveMethod} from './ladder/methods.js'
import type {PacketSender} from './packet-senders.js'
import {createPacer} from './pace/index.js'
import {type Move, type MoveEnd, type Pacer, PacerStopped, type PaceSample} from './pace/pacer.js'
import type {TargetWatch} from './target-watch.js'
import {type Sighting, trackSessions} from './track-sessions.js'

export interface Pace {
  /** Moves (packets, handovers, redirects, closes) per second, or `auto`: the adaptive pacer. */
  rate: number | 'auto'
  /** Moves started and not yet settled, at most. */
  concurrency: number
}

export interface RunOptions extends Pace {
  /** How long after its last move a session may take to reconnect elsewhere. */
  waitMs: number
  pollMs: number
  /** After an abort, how much longer sessions already sent are watched. */
  graceMs?: number
}

/**
 * How long a rung that is not the last is given before the next one, from what was
 * measured on the lab (docs/servers.md): redirected clients came back within 0.3-2.5 s
 * (libstrophe after its app's 2 s delay). Handed-over clients resumed 2-5 s after the close
 * one at a time, but 5.8-8.7 s when ten were handed over at once (xmpp.js, aioxmpp,
 * libstrophe, TLS, source cordoned): a session still pending then is resuming, and the next
 * rungs could only end it (and its queue), so a handover gets 20 s. The last rung gets
 * --wait, and so does a packet the client accepted (it moves itself).
 */
export const RUNG_WINDOW_MS: Record<MoveMethod, number> = {packet: 10_000, handover: 20_000, redirect: 10_000, close: 10_000}
/** A packet that got no answer at all (libstrophe does not answer): a short look, then the next rung. */
const UNANSWERED_PACKET_WINDOW_MS = 2_000
/**
 * A packet whose answer was lost with the admin link may never have left (it went out on a
 * stream that was closing: 1-2 of 80 in the lab): if the session has not moved after this
 * long, the packet is sent once more (a repeated order is the same order to the helper).
 */
const LOST_PACKET_WINDOW_MS = 5_000
/** The stream error of the last rung: every measured library treats it as "reconnect" (never conflict or policy-violation). */
export const CLOSE_CONDITION = 'system-shutdown'
/** After Ctrl-C (or TERM): how much longer what is already in flight is watched before the report. */
export const INTERRUPT_GRACE_MS = 5_000
export const CLOSE_TEXT = 'This node is going down for maintenance: please reconnect'

export type RunEvent =
  /** Its target left the cluster before the first move: it goes to another. */
  | {type: 'retargeted'; item: PlannedTransfer; from: string}
  /** Just before the packet goes out: a crash after this may or may not have sent it. */
  | {type: 'sending'; item: PlannedTransfer; at: number}
  | {type: 'sent'; record: TransferRecord}
  /** Just before a move that is not a packet (handover, redirect, close). */
  | {type: 'acting'; item: PlannedTransfer; method: MoveMethod; at: number}
  | {type: 'acted'; record: TransferRecord; rung: RungRecord}
  | {type: 'settled'; record: TransferRecord}

/** The rungs beyond the packet: what the server companion can do, and to which sessions. */
export interface Ladder {
  /** The methods the operator allows, in order (only those the server can do). */
  methods: readonly MoveMethod[]
  control: Pick<SessionControl, 'handover' | 'redirect' | 'closeStream'>
}

export interface RunInput {
  plan: PlannedTransfer[]
  sender: PacketSender
  directory: Pick<SessionDirectory, 'sessionsOf'>
  clock: Clock
  options: RunOptions
  /** JIDs listed when the plan was made. */
  knownJids: Set<string>
  onEvent?: (event: RunEvent) => void
  /** Stops sending; what is in flight is still watched for a short grace. */
  signal?: AbortSignal
  /** Stops sending and watching at once (--timeout): what is in flight is `unknown`. */
  stop?: AbortSignal
  /** Which target nodes are up; a session whose target left goes to one of `retargetTo` (least planned first). */
  targets?: {watch: TargetWatch; retargetTo: readonly string[]; choices: ReadonlyMap<string, PlannedTransfer['target']>}
  /** Sessions an earlier, interrupted process moved (or may have): watched first, and never given a rung they had again. */
  alreadySent?: Array<{record: TransferRecord; item: PlannedTransfer}>
  /** Without one: packets only (today's behaviour on a server with no companion). */
  ladder?: Ladder
  /** Default: options.rate (fixed, with options.concurrency in flight; or adaptive). */
  pacer?: Pacer
}

export interface RunResult {
  records: TransferRecord[]
  /** Planned sessions that were never moved (interrupted or failed run). */
  unsent: PlannedTransfer[]
  /** Why the run stopped early, if it did. */
  error?: Error
  /** The signal stopped it (Ctrl-C). */
  interrupted: boolean
  /** The stop signal ended it (--timeout). */
  stopped: boolean
  /** Sessions whose target left the cluster and that were sent elsewhere. */
  retargeted: number
  /** How the pace changed (the pacer's history). */
  pace: readonly PaceSample[]
}

/** One session's next move: which rung, and what is known of it so far. */
interface Step {
  item: PlannedTransfer
  /** Rungs still to try, in order (a refused or unanswered one goes on to the next). */
  rungs: MoveMethod[]
  record?: TransferRecord
  /** The packet was sent again once already because its answer was lost with the admin link. */
  resent?: boolean
}

/**
 * Move every planned session with the gentlest method it accepts, each move paced, then
 * watch where it lands: the packet first; a refusal goes to the next rung at once, a move
 * that does not land within its rung's window goes to the next; the last rung waits --wait.
 * A pump takes one move from the pacer at a time and gives it to the next step due (a
 * session's next rung first, then a new session), so what is held in memory follows what
 * is in flight, not the size of the plan (a promise per planned session: 162 MB at 100,000).
 */
export async function runTransfers(input: RunInput): Promise<RunResult> {
  const {plan, sender, directory, clock, options, onEvent, signal, stop, targets, ladder, alreadySent = []} = input
  const methods: readonly MoveMethod[] = ladder?.methods ?? ['packet']
  const pacer =
    input.pacer ??
    createPacer(
      options.rate === 'auto' ? {kind: 'auto', maxInFlight: options.concurrency} : {kind: 'fixed', rate: options.rate, concurrency: options.concurrency},
      clock,
    )
  const tracker = trackSessions(directory, clock, {pollMs: options.pollMs, knownJids: input.knownJids, downAfterMs: options.waitMs})
  const records: TransferRecord[] = []
  const unsent: PlannedTransfer[] = []
  let failure: Error | undefined
  let retargeted = 0
  const load = new Map<string, number>()
  for (const item of plan) load.set(item.target.name, (load.get(item.target.name) ?? 0) + 1)
  const halted = () => Boolean(signal?.aborted || stop?.aborted || failure)

  // Steps due now (next rungs), the plan's next session, and the steps running.
  const ready: Step[] = []
  let nextPlanned = 0
  let running = 0
  let wake: (() => void) | undefined
  const poke = () => {
    const resume = wake
    wake = undefined
    resume?.()
  }

  signal?.addEventListener(
    'abort',
    () => {
      pacer.stop()
      tracker.hurry(options.graceMs ?? INTERRUPT_GRACE_MS)
      poke()
    },
    {once: true},
  )
  stop?.addEventListener(
    'abort',
    () => {
      pacer.stop()
      tracker.abort()
      poke()
    },
    {once: true},
  )
  // Tracking fails only when the directory stays down: then moving stops too.
  const tracking = tracker.done.catch((error: Error) => {
    failure ??= error
    pacer.stop()
    tracker.abort()
    poke()
  })

  /** The item itself, or the same session to an up node when its target left; undefined when none is up. */
  const current = (item: PlannedTransfer): PlannedTransfer | undefined => {
    if (!targets || !item.target.isNode || targets.watch.isUp(item.target.name)) return item
    const up = targets.retargetTo.filter((name) => targets.watch.isUp(name) && targets.choices.has(name))
    if (up.length === 0) return undefined
    const best = up.reduce((a, b) => ((load.get(b) ?? 0) < (load.get(a) ?? 0) ? b : a))
    load.set(best, (load.get(best) ?? 0) + 1)
    load.set(item.target.name, (load.get(item.target.name) ?? 1) - 1)
    retargeted++
    const moved = {...item, target: targets.choices.get(best)!}
    onEvent?.({type: 'retargeted', item: moved, from: item.target.name})
    return moved
  }

  const settle = (record: TransferRecord) => onEvent?.({type: 'settled', record})
  /** The first error stops the run: nothing more is started, what is in flight is watched. */
  const fail = (error: unknown) => {
    failure ??= error as Error
    pacer.stop()
  }

  /** The rungs that can move this session at all (a handover only for clients measured to come back), less those it had. */
  const rungsFor = (item: PlannedTransfer, had: readonly MoveMethod[] = []): MoveMethod[] =>
    methods.filter((method) => !had.includes(method) && (method !== 'handover' || handoverFits(item.client ?? {})))

  /** A step whose move could not be made: what it leaves behind. */
  const drop = (step: Step) => {
    if (!step.record) unsent.push(step.item)
    else finish(step.record, undefined)
  }

  /**
   * One move of one session, then the wait for it; the next rung goes back to the pump. After a
   * refusal (the client's, or the server's) the next rung goes at once on the same paced move:
   * nothing logged in anywhere, so it does not count against the pace (each ordinary client
   * took two paced moves, the refused packet and the handover: 7x the floor at N = 2,000).
   */
  const perform = async (step: Step, move: Move): Promise<void> => {
    const method = step.rungs[0]
    const rest = step.rungs.slice(1)
    const last = rest.length === 0
    let item = step.item
    if (!step.record) {
      const now = current(item)
      if (!now) {
        move.settle({kind: 'unobserved'})
        return drop(step)
      }
      item = now
    }
    let record = step.record
    const at = clock.now()
    let window: number
    let handedOffAt: number | undefined
    if (method === 'packet') {
      onEvent?.({type: 'sending', item, at})
      let ack
      try {
        ack = await sender.send(item)
      } catch (error) {
        move.settle({kind: 'unobserved'})
        fail(error)
        return drop({...step, item})
      }
      if (!record) {
        record = newRecord(item, at, ack, sender.acksObservable ? clock.now() - at : null)
        records.push(record)
      } else {
        record.ack = ack
      }
      record.rungs.push({method, at, result: ack.kind === 'refused' ? 'refused' : 'done'})
      onEvent?.({type: 'sent', record})
      if (isRefusal(ack)) {
        // The client said no: it stays where it is. The next rung at once, if there is one.
        if (last || halted()) {
          move.settle({kind: 'refused'})
          record.outcome = isUnsupported(ack) ? 'unsupported' : 'not-moved'
          return settle(record)
        }
        return perform({item, rungs: rest, record}, move)
      }
      if (ack.kind === 'result') {
        // It speaks XEP-0051 and said yes: if it does not land, the target is the trouble, and a
        // harsher rung would only push it to the same place and cut its session. No further rung.
        const sighting = await tracker.until(record, at, at + options.waitMs)
        move.settle(paceEnd(sighting))
        return sighting.kind === 'landed' ? land(record, sighting, method) : finish(record, sighting)
      }
      if (ack.kind === 'timeout' && ack.lost && !step.resent) {
        const sighting = await tracker.until(record, at, at + LOST_PACKET_WINDOW_MS)
        move.settle(paceEnd(sighting))
        if (sighting.kind === 'landed') return land(record, sighting, method)
        if (sighting.kind === 'stopped' || halted()) return finish(record, sighting)
        ready.push({item, rungs: step.rungs, record, resent: true})
        return
      }
      window = last ? options.waitMs : ack.kind === 'timeout' && sender.acksObservable ? UNANSWERED_PACKET_WINDOW_MS : RUNG_WINDOW_MS.packet
    } else {
      onEvent?.({type: 'acting', item, method, at})
      let result: ActionResult
      try {
        result = await act(method, item)
      } catch (error) {
        move.settle({kind: 'unobserved'})
        fail(error)
        return drop({...step, item})
      }
      if (!record) {
        record = newRecord(item, at, ACK_NONE, null)
        records.push(record)
      }
      const rung: RungRecord = {method, at, result: result.kind, ...(result.kind === 'refused' ? {reason: result.reason} : {})}
      record.rungs.push(rung)
      onEvent?.({type: 'acted', record, rung})
      if (result.kind === 'refused') {
        if (last || halted()) {
          move.settle({kind: 'refused'})
          return finish(record, await tracker.until(record, at, at))
        }
        return perform({item, rungs: rest, record}, move)
      }
      // The server took it: the client comes back when its own reconnect delay says, which
      // tells nothing of a failed login (see MoveEnd 'handed-off'). The slot is free now; when
      // the client is seen back, the pacer learns how long that took (PaceSignal 'reconnected').
      handedOffAt = clock.now()
      move.settle({kind: 'handed-off'})
      window = last ? options.waitMs : Math.min(RUNG_WINDOW_MS[method], options.waitMs)
    }
    const sighting = await tracker.until(record, at, at + window)
    move.settle(paceEnd(sighting))
    if (handedOffAt !== undefined && sighting.kind === 'landed') pacer.observe({kind: 'reconnected', handedOffAt, seenAt: sighting.seenAt})
    if (sighting.kind === 'landed') return land(record, sighting, method)
    if (last || sighting.kind === 'stopped' || halted()) return finish(record, sighting)
    ready.push({item, rungs: rest, record})
  }

  const act = (method: MoveMethod, item: PlannedTransfer): Promise<ActionResult> => {
    const session = {jid: item.jid, node: item.from}
    if (!ladder) throw new Error(`no ladder for ${method}`)
    if (method === 'handover') return ladder.control.handover(session)
    if (method === 'redirect') return ladder.control.redirect(session, item.target.address)
    return ladder.control.closeStream(session, CLOSE_CONDITION, CLOSE_TEXT)
  }

  const land = (record: TransferRecord, sighting: Extract<Sighting, {kind: 'landed'}>, method: MoveMethod) => {
    Object.assign(record, {
      reconnectedTo: sighting.session.node,
      reconnectedJid: sighting.session.jid,
      latencyMs: sighting.at - record.sentAt,
      outcome: 'moved',
      method,
    })
    settle(record)
  }

  /** No rung moved it: what the last sighting says. */
  const finish = (record: TransferRecord, sighting: Sighting | undefined) => {
    if (sighting?.kind === 'stopped' || (!sighting && (stop?.aborted || failure))) {
      record.outcome = 'unknown'
      return
    }
    const closed = record.rungs.some((rung) => rung.method === 'close' && rung.result === 'done')
    if (sighting?.kind === 'returned') record.outcome = closed ? 'returned' : 'not-moved'
    else if (sighting?.kind === 'offline') record.outcome = closed ? 'not-back' : 'went-offline'
    else record.outcome = 'not-moved'
    settle(record)
  }

  /** Sessions an earlier process moved: watched first for what is left of their wait, then up the rungs they did not have. */
  const carried = async ({record, item}: {record: TransferRecord; item: PlannedTransfer}): Promise<void> => {
    records.push(record)
    const lastMove = record.rungs.at(-1)?.at ?? record.sentAt
    const sighting = await tracker.until(record, lastMove, lastMove + options.waitMs)
    if (sighting.kind === 'landed') return land(record, sighting, record.rungs.at(-1)?.method ?? 'packet')
    // A packet-only run does not climb further here: a resend is the service's decision.
    const rest = ladder
      ? rungsFor(
          item,
          record.rungs.map((rung) => rung.method),
        )
      : []
    if (rest.length === 0 || sighting.kind === 'stopped' || halted()) return finish(record, sighting)
    ready.push({item, rungs: rest, record})
  }

  const start = (work: Promise<void>) => {
    running++
    void work.catch(fail).finally(() => {
      running--
      poke()
    })
  }

  for (const entry of alreadySent) start(carried(entry))
  for (;;) {
    if (halted()) break
    let step = ready.shift()
    while (!step && nextPlanned < plan.length) {
      const item = plan[nextPlanned++]
      const rungs = rungsFor(item)
      if (rungs.length > 0) step = {item, rungs}
      else unsent.push(item)
    }
    if (!step) {
      if (running === 0) break
      await new Promise<void>((resolve) => (wake = resolve))
      continue
    }
    let move: Move
    try {
      move = await pacer.acquire()
    } catch (error) {
      if (!(error instanceof PacerStopped)) throw error
      ready.unshift(step)
      break
    }
    if (halted()) {
      move.settle({kind: 'unobserved'})
      ready.unshift(step)
      break
    }
    start(perform(step, move))
  }
  // Stopped early: what never got its next move is left as it is; the rest of the plan is unsent.
  while (running > 0) await new Promise<void>((resolve) => (wake = resolve))
  for (const step of ready.splice(0)) drop(step)
  for (const item of plan.slice(nextPlanned)) unsent.push(item)
  tracker.close()
  pacer.stop()
  if (failure) tracker.abort()
  await tracking
  return {records, unsent, error: failure, interrupted: Boolean(signal?.aborted), stopped: Boolean(stop?.aborted), retargeted, pace: pacer.history}
}

/** How a move ended, for the pace: only a session that left and was not seen again suggests a failed login. */
function paceEnd(sighting: Sighting): MoveEnd {
  if (sighting.kind === 'landed') return {kind: 'landed', at: sighting.seenAt}
  if (sighting.kind === 'offline') return {kind: 'failed'}
  if (sighting.kind === 'stopped') return {kind: 'unobserved'}
  // Still on its source: the client did not act, no login was made for it.
  return {kind: 'refused'}
}
