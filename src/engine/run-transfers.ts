import pLimit from 'p-limit'
import pThrottle from 'p-throttle'

import {isRefusal, isUnsupported} from '../model/ack.js'
import type {Clock} from '../model/clock.js'
import type {SessionDirectory} from '../model/directory.js'
import {newRecord, type PlannedTransfer, type TransferRecord} from '../model/transfer.js'
import type {PacketSender} from './packet-senders.js'
import {watchReconnections} from './watch-reconnections.js'

export interface Pace {
  /** Packets per second. */
  rate: number
  /** Transfers whose packet is out but not yet answered. */
  concurrency: number
}

/** After an abort (Ctrl-C), how long sessions already sent are still watched, unless the options say otherwise. */
export const INTERRUPT_GRACE_MS = 5_000

export interface RunOptions extends Pace {
  waitMs: number
  pollMs: number
  /** After an abort, how much longer sessions already sent are watched. */
  graceMs?: number
}

export type RunEvent =
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
  /** Stops sending; what is in flight is still watched. */
  signal?: AbortSignal
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
}

/** Send every planned session its packet at the given pace, then watch where each reconnects. */
export async function runTransfers({plan, sender, directory, clock, options, knownJids, onEvent, signal, alreadySent = []}: RunInput): Promise<RunResult> {
  const records: TransferRecord[] = [...alreadySent]
  const unsent: PlannedTransfer[] = []
  const settled = (record: TransferRecord) => onEvent?.({type: 'settled', record})
  const watcher = watchReconnections(directory, clock, {waitMs: options.waitMs, pollMs: options.pollMs, knownJids}, settled)
  const inFlight = pLimit(Math.max(1, options.concurrency))
  for (const record of alreadySent) watcher.watch(record)
  // The signal empties the pace's queue: at 10/s with 100 queued, waiting out each turn took 10 s after a Ctrl-C.
  const paced = pThrottle({limit: 1, interval: Math.max(1, Math.round(1000 / options.rate)), signal})(() => undefined)
  let failure: Error | undefined

  const transfer = async (item: PlannedTransfer) => {
    if (signal?.aborted || failure) return unsent.push(item)
    try {
      await paced()
    } catch {
      return unsent.push(item) // aborted while waiting its turn
    }
    if (signal?.aborted || failure) return unsent.push(item)
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

  signal?.addEventListener('abort', () => watcher.hurry(options.graceMs ?? INTERRUPT_GRACE_MS), {once: true})
  // Watching fails only when the directory stays down: then sending stops too.
  const watching = watcher.done.catch((error: Error) => {
    failure ??= error
  })
  await Promise.all(plan.map((item) => inFlight(() => transfer(item))))
  watcher.close()
  if (failure) watcher.abort()
  await watching
  return {records, unsent, error: failure, interrupted: Boolean(signal?.aborted)}
}
