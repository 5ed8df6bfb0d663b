// When xtransfer sent each packet (and made each move of the ladder), from the run's own journal, read with xtransfer's own
// reader (src/journal/journal-reader.ts) in the state dir the bench gave the CLI.
import {listRuns, readRun} from '../../src/journal/journal-reader.js'
import {runsDir} from '../../src/journal/runs-dir.js'

export interface CliJournal {
  /** When each packet started to go out (epoch ms), answered or not. */
  sendingAt: number[]
  /** The packets whose answer was written: JID and when it went out. */
  sent: {jid: string; at: number}[]
  /** Every move of every session (packet, handover, redirect, close), when it started. */
  moves: {jid: string; method: string; at: number}[]
  /** When the run started (its journal's first line; the report's pace is timed from it), or null. */
  runStartedAt: number | null
}

export function readCliJournal(stateDir: string): CliJournal {
  const dir = runsDir({XTRANSFER_STATE_DIR: stateDir})
  const out: CliJournal = {sendingAt: [], sent: [], moves: [], runStartedAt: null}
  for (const {id} of listRuns(dir)) {
    const run = readRun(dir, id)
    out.runStartedAt ??= run.header.startedAt
    for (const record of run.records.values()) {
      // A record's sentAt is its `sending` line's time; its `sent` line repeats it.
      out.sendingAt.push(record.sentAt)
      if (!run.maybeSent.has(record.jid)) out.sent.push({jid: record.jid, at: record.sentAt})
      for (const rung of record.rungs) out.moves.push({jid: record.jid, method: rung.method, at: rung.at})
    }
  }
  return out
}
