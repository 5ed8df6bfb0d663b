// xtransfer's directory calls during a drain (the preload's log, preload/count-directory.ts),
// each set against the sessions still pending when it was made.
import type {TransferReport} from '../../src/engine/report.js'
import type {DirectorySummary} from '../results.js'
import type {CliJournal} from './cli-journal.js'
import {sum} from './stats.js'

export interface DirectoryCall {
  command: string
  /** Epoch ms the call started. */
  at: number
  ms: number
  bytes: number
  status: number
  error?: string
}

/** What the preload writes when the CLI exits. */
export interface DirectoryLog {
  pid: number
  exitedAt: number
  hwmMb: number | null
  userCpuS: number
  systemCpuS: number
  maxRssMb: number
  calls: DirectoryCall[]
}

export interface DirectoryPoll extends DirectoryCall {
  pending: number
}

/** Every directory call of the CLI, with the sessions still pending when it was made. */
export function directoryPolls(directory: DirectoryLog | null, journal: CliJournal, report: TransferReport | null): DirectoryPoll[] {
  if (!directory) return []
  const sent = journal.sent.map((e) => e.at).sort((a, b) => a - b)
  const sentAtByJid = new Map(journal.sent.map((e) => [e.jid, e.at]))
  const settledAt = (report?.sessions ?? [])
    .flatMap((row) =>
      row.outcome === 'moved' && row.latencyMs !== null && sentAtByJid.has(row.jid) ? [(sentAtByJid.get(row.jid) as number) + row.latencyMs] : [],
    )
    .sort((a, b) => a - b)
  const countUntil = (sorted: number[], t: number) => {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (sorted[mid] <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  return directory.calls.map((call) => ({...call, pending: countUntil(sent, call.at) - countUntil(settledAt, call.at)}))
}

export function directorySummary(directory: DirectoryLog | null, polls: DirectoryPoll[]): DirectorySummary | null {
  if (!directory) return null
  const byCommand: DirectorySummary['byCommand'] = {}
  for (const call of directory.calls) {
    const entry = (byCommand[call.command] ??= {calls: 0, bytes: 0, ms: 0})
    entry.calls++
    entry.bytes += call.bytes
    entry.ms += call.ms
  }
  const watching = polls.filter((p) => p.pending > 0)
  const listings = watching.filter((p) => p.command === 'connected_users_info')
  const perUser = watching.filter((p) => p.command === 'user_sessions_info')
  const last = listings.at(-1)
  return {
    calls: directory.calls.length,
    bytes: sum(directory.calls, (c) => c.bytes),
    byCommand,
    whileWatching: {
      listings: listings.length,
      listingBytesPerCall: listings.length ? Math.round(sum(listings, (p) => p.bytes) / listings.length) : null,
      listingMsPerCall: listings.length ? Math.round(sum(listings, (p) => p.ms) / listings.length) : null,
      pendingAtListings: listings.length ? {max: Math.max(...listings.map((p) => p.pending)), min: Math.min(...listings.map((p) => p.pending))} : null,
      bytesPerPendingAtLastListing: last ? Math.round(last.bytes / Math.max(1, last.pending)) : null,
      perUserCalls: perUser.length,
    },
    polls: polls.map((p) => [Math.round(p.at), p.command, p.bytes, p.ms, p.pending]),
    pollsFormat: ['at', 'command', 'bytes', 'ms', 'pending'],
  }
}
