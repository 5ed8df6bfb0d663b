import pLimit from 'p-limit'
import pThrottle from 'p-throttle'

import {isRefusal, isUnsupported} from '../model/ack.js'
import type {Clock} from '../model/clock.js'
import type {SessionDirectory} from '../model/directory.js'
import {newRecord, type PlannedTransfer, type TransferRecord} from '../model/transfer.js'
import type {PacketSender} from './packet-senders.js'
import type {TargetWatch} from './target-watch.js'
import {watchReconnections} from './watch-reconnections.js'

export interface Pace {
  /** Packets per second. */
  rate: number
  /** Transfers whose packet is out but not yet answered. */
  concurrency: number
}

export interface RunOptions extends Pace {
  waitMs: number
  pollMs: number
  /** After an abort, how much longer sessions already sent are watched. */
  graceMs?: number
}

export type RunEvent =
  /** Its target left the cluster before the packet went out: it goes to another. */
  | {type: 'retargeted'; item: PlannedTransfer; from: string}
  /** Just before the packet goes out: a crash after this may or may not have sent it. */
  | {type: 'sending'; item: PlannedTransfer; at: number}
  | {type: 'sent'; record: TransferRecord}
  | {type: 'settled'; record: TransferRecord}

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
  /** Sessions sent a packet by an earlier, interrupted process: watched, never sent again here. */
  alreadySent?: TransferRecord[]
}

export interface RunResult {
  records: TransferRecord[]
  /** Planned sessions that were never sent a packet (interrupted or failed run). */
  unsent: PlannedTransfer[]
  /** Why the run stopped early, if it did. */
  error?: Error
  /** The signal stopped it (Ctrl-C). */
  interrupted: boolean
  /** The stop signal ended it (--timeout). */
  stopped: boolean
  /** Sessions whose target left the cluster and that were sent elsewhere. */
  retargeted: number
}

/** Send every planned session its packet at the given pace, then watch where each reconnects. */
export async function runTransfers({plan, sender, directory, clock, options, knownJids, onEvent, signal, stop, targets, alreadySent = []}: RunInput): Promise<RunResult> {
  const records: TransferRecord[] = [...alreadySent]
  const unsent: PlannedTransfer[] = []
  const settled = (record: TransferRecord) => onEvent?.({type: 'settled', record})
  const watcher = watchReconnections(directory, clock, {waitMs: options.waitMs, pollMs: options.pollMs, knownJids}, settled)
  const inFlight = pLimit(Math.max(1, options.concurrency))
  for (const record of alreadySent) watcher.watch(record)
  const paced = pThrottle({limit: 1, interval: Math.max(1, Math.round(1000 / options.rate))})(() => undefined)
  let failure: Error | undefined
  let retargeted = 0
  // Sessions planned per target, to send a retargeted one to the least loaded.
  const load = new Map<string, number>()
  for (const item of plan) load.set(item.target.name, (load.get(item.target.name) ?? 0) + 1)
  const halted = () => Boolean(signal?.aborted || stop?.aborted || failure)

  /** The item itself, or the same session to an up node when its target left; undefined when none is up. */
  const current = (item: PlannedTransfer): PlannedTransfer | undefined => {
    if (!targets || !item.target.isNode || targets.watch.isUp(item.target.name)) return item
    const up = targets.retargetTo.filter((name) => targets.watch.isUp(name) && targets.choices.has(name))
    if (up.length === 0) return undefined
    const best = up.reduce((a, b) => ((load.get(b) ?? 0) < (load.get(a) ?? 0) ? b : a))
    load.set(best, (load.get(best) ?? 0) + 1)
    load.set(item.target.name, (load.get(item.target.name) ?? 1) - 1)
    const moved = {...item, target: targets.choices.get(best)!}
    retargeted++
    onEvent?.({type: 'retargeted', item: moved, from: item.target.name})
    return moved
  }

  const transfer = async (planned: PlannedTransfer) => {
    if (halted()) return unsent.push(planned)
    await paced()
    if (halted()) return unsent.push(planned)
    const item = current(planned)
    if (!item) return unsent.push(planned)
    const sentAt = clock.now()
    onEvent?.({type: 'sending', item, at: sentAt})
    let ack
    try {
      ack = await sender.send(item)
    } catch (error) {
      failure ??= error as Error
      return unsent.push(item)
    }
    const record = newRecord(item, sentAt, ack, sender.acksObservable ? clock.now() - sentAt : null)
    records.push(record)
    onEvent?.({type: 'sent', record})
    if (isRefusal(ack)) {
      // The client said no: it stays where it is.
      record.outcome = isUnsupported(ack) ? 'unsupported' : 'not-moved'
      settled(record)
    } else {
      watcher.watch(record)
    }
  }

  signal?.addEventListener('abort', () => watcher.hurry(options.graceMs ?? 5_000), {once: true})
  stop?.addEventListener('abort', () => watcher.abort(), {once: true})
  // Watching fails only when the directory stays down: then sending stops too.
  const watching = watcher.done.catch((error: Error) => {
    failure ??= error
  })
  await Promise.all(plan.map((item) => inFlight(() => transfer(item))))
  watcher.close()
  if (failure) watcher.abort()
  await watching
  // Stopped before they could be seen anywhere: not "not moved", not known.
  for (const record of watcher.pending) record.outcome = 'unknown'
  return {records, unsent, error: failure, interrupted: Boolean(signal?.aborted), stopped: Boolean(stop?.aborted), retargeted}
}
