// The tracking figures of bench/tracking/bind-to-seen.ts, from what it collected: each moved
// session's bind (the fleet) against when xtransfer saw it (its journal), and the directory's
// tracking calls (the preload) grouped into polls against the sessions pending then.
import type {TransferRecord} from '../../src/model/transfer.js'
import type {DirectoryCall} from '../analysis/directory-polls.js'
import {spread, type Spread} from '../analysis/stats.js'

export interface BindToSeen {
  moved: number
  /** Moved rows whose client reported its new bind. */
  withBind: number
  /** From the client's bind on its new node to the end of the poll that saw it there. */
  ms: Spread
  /** Share seen within 1 s of its bind (issue 14: 100 %, p99 ≤ 1 s). */
  withinOneSecond: number | null
  /** The last bind to the last sighting: how long after the fleet was done xtransfer knew it. */
  lastBindToLastSeenMs: number | null
}

/** `boundAt`: the new bind's time per bare JID. */
export function bindToSeen(records: readonly TransferRecord[], boundAt: ReadonlyMap<string, number>): BindToSeen {
  const gaps: number[] = []
  let moved = 0
  let lastSeen = -Infinity
  let lastBind = -Infinity
  for (const record of records) {
    if (record.outcome !== 'moved' || record.latencyMs === null) continue
    moved++
    const seen = record.sentAt + record.latencyMs
    const bind = boundAt.get(record.bare)
    if (bind === undefined) continue
    gaps.push(seen - bind)
    lastSeen = Math.max(lastSeen, seen)
    lastBind = Math.max(lastBind, bind)
  }
  return {
    moved,
    withBind: gaps.length,
    ms: spread(gaps),
    withinOneSecond: gaps.length ? Math.round((gaps.filter((gap) => gap <= 1_000).length / gaps.length) * 1000) / 10 : null,
    lastBindToLastSeenMs: gaps.length ? Math.round(lastSeen - lastBind) : null,
  }
}

/** The calls that look sessions up (not list_cluster, which watches the nodes). */
const TRACKING = new Set(['user_sessions_info', 'connected_users_info', 'xtransfer_locate', 'xtransfer_node_sessions'])

export interface Poll {
  at: number
  calls: number
  bytes: number
  listing: boolean
  /** Sessions sent and not yet seen when the poll began. */
  pending: number
}

export interface PollFigures {
  polls: number
  listings: number
  perUserCalls: number
  /** Directory bytes per poll for each pending session, by how many were pending. */
  byPending: Array<{pending: string; polls: number; bytesPerPoll: number; bytesPerPendingSession: number}>
}

/**
 * The tracker asks for every pending user at once, then sleeps at least its poll interval
 * (250 ms): calls that begin within 100 ms of the previous one belong to the same poll.
 */
export function groupPolls(calls: readonly DirectoryCall[], records: readonly TransferRecord[]): Poll[] {
  const tracking = calls.filter((call) => TRACKING.has(call.command)).sort((a, b) => a.at - b.at)
  const isListing = (call: DirectoryCall) => call.command === 'connected_users_info' || call.command === 'xtransfer_node_sessions'
  const polls: Poll[] = []
  let previousCallAt = -Infinity
  for (const call of tracking) {
    const current = polls.at(-1)
    if (current && call.at - previousCallAt <= 100) {
      current.calls++
      current.bytes += call.bytes
      current.listing ||= isListing(call)
    } else {
      polls.push({at: call.at, calls: 1, bytes: call.bytes, listing: isListing(call), pending: 0})
    }
    previousCallAt = call.at
  }
  for (const poll of polls) {
    poll.pending = records.filter((record) => record.sentAt <= poll.at && (record.latencyMs === null || poll.at < record.sentAt + record.latencyMs)).length
  }
  return polls.filter((poll) => poll.pending > 0)
}

const BUCKETS: Array<[string, number, number]> = [
  ['1-8', 1, 8],
  ['9-32', 9, 32],
  ['33-128', 33, 128],
  ['129-512', 129, 512],
  ['513+', 513, Infinity],
]

export function pollsOf(calls: readonly DirectoryCall[], records: readonly TransferRecord[]): PollFigures {
  const polls = groupPolls(calls, records)
  return {
    polls: polls.length,
    listings: polls.filter((poll) => poll.listing).length,
    perUserCalls: calls.filter((call) => call.command === 'user_sessions_info').length,
    byPending: BUCKETS.flatMap(([label, low, high]) => {
      const mine = polls.filter((poll) => poll.pending >= low && poll.pending <= high)
      if (mine.length === 0) return []
      const bytes = mine.reduce((sum, poll) => sum + poll.bytes, 0)
      const pending = mine.reduce((sum, poll) => sum + poll.pending, 0)
      return [{pending: label, polls: mine.length, bytesPerPoll: Math.round(bytes / mine.length), bytesPerPendingSession: Math.round(bytes / pending)}]
    }),
  }
}
