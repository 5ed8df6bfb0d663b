import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {UsageError} from '../errors.js'
import {ACK_NONE, ACK_TIMEOUT, ackFromText} from '../model/ack.js'
import type {TransferRecord} from '../model/transfer.js'
import type {JournalEntry} from './journal-entries.js'

export type RunHeader = Extract<JournalEntry, {type: 'run'}>
export type PlannedEntry = Extract<JournalEntry, {type: 'planned'}>

/** What a journal says happened, replayed line by line. */
export interface RunState {
  header: RunHeader
  path: string
  planned: PlannedEntry[]
  /** Every session a packet went out to (or may have: `sending` without `sent`), with what is known. */
  records: Map<string, TransferRecord>
  /** Sessions whose packet may have gone out, but whose answer was never written. */
  maybeSent: Set<string>
  settled: Set<string>
  finished?: {at: number; exitCode: number; reason?: string}
  /** The last stop by a failure since the run (re)started: it can be resumed. */
  stopped?: {at: number; exitCode: number; reason: string}
  resumes: number
}

export function readRun(dir: string, id: string): RunState {
  if (!/^[\w.-]+$/.test(id)) throw new UsageError(`"${id}" is not a run id (see xtransfer runs)`)
  const path = join(dir, `${id}.ndjson`)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new UsageError(`no run "${id}" in ${dir} (see xtransfer runs)`)
  }
  return replay(text, path)
}

/**
 * A journal's state, line by line. Each line is parsed and applied in turn, with no array of
 * every line or entry: a 50,000-session drain writes 240,000 lines (30 MB), and holding them all
 * parsed raised the peak RSS of `report RUN` by ~27 MB, 174 → 147 MB over its start (bench:scale).
 */
export function replay(text: string, path: string): RunState {
  let state: RunState | undefined
  const index = {planned: new Map<string, PlannedEntry>(), at: new Map<string, number>()}
  let number = 0
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    const line = text.slice(start, end)
    start = end + 1
    if (!line) continue
    let entry: JournalEntry
    try {
      entry = JSON.parse(line) as JournalEntry
    } catch {
      // Only the last line can be torn by a crash mid-write; anything else is damage.
      if (onlyNewlinesFrom(text, start)) break
      throw new UsageError(`journal ${path} is damaged at line ${number + 1}`)
    }
    number++
    if (number === 1 && entry?.type === 'run')
      state = {header: entry, path, planned: [], records: new Map(), maybeSent: new Set(), settled: new Set(), resumes: 0}
    // Not a journal (its first line is no run): the rest is still read, for damage, which is reported first.
    if (state) apply(state, entry, index)
  }
  if (!state) throw new UsageError(`${path} is not an xtransfer journal`)
  return state
}

function onlyNewlinesFrom(text: string, start: number): boolean {
  for (let i = start; i < text.length; i++) if (text[i] !== '\n') return false
  return true
}

/** One journal entry applied to the state. `index`: each session's latest planned entry, and its place in `state.planned`. */
function apply(state: RunState, entry: JournalEntry, index: {planned: Map<string, PlannedEntry>; at: Map<string, number>}): void {
  const plannedByJid = index.planned
  const plannedAt = index.at
  switch (entry.type) {
    case 'planned': {
      // A session planned again (another target, a resumed run) keeps its place with the new plan.
      const place = plannedAt.get(entry.jid)
      if (place === undefined) plannedAt.set(entry.jid, state.planned.push(entry) - 1)
      else state.planned[place] = entry
      plannedByJid.set(entry.jid, entry)
      break
    }
    case 'sending': {
      const planned = plannedByJid.get(entry.jid)
      if (!planned) break
      state.maybeSent.add(entry.jid)
      state.settled.delete(entry.jid)
      const earlier = state.records.get(entry.jid)
      const rungs = [...(earlier?.rungs ?? []), {method: 'packet' as const, at: entry.at, result: 'done' as const}]
      state.records.set(entry.jid, {
        jid: entry.jid,
        bare: planned.bare,
        resource: planned.resource,
        from: planned.from,
        target: planned.target,
        reconnectedTo: null,
        reconnectedJid: null,
        ack: ACK_TIMEOUT,
        sentAt: earlier?.sentAt ?? entry.at,
        ackMs: null,
        latencyMs: null,
        outcome: 'not-moved',
        method: null,
        rungs,
      })
      break
    }
    case 'acting': {
      const planned = plannedByJid.get(entry.jid)
      if (!planned) break
      state.maybeSent.add(entry.jid)
      state.settled.delete(entry.jid)
      const record = state.records.get(entry.jid) ?? {
        jid: entry.jid,
        bare: planned.bare,
        resource: planned.resource,
        from: planned.from,
        target: planned.target,
        reconnectedTo: null,
        reconnectedJid: null,
        ack: ACK_NONE,
        sentAt: entry.at,
        ackMs: null,
        latencyMs: null,
        outcome: 'not-moved' as const,
        method: null,
        rungs: [],
      }
      record.rungs.push({method: entry.method, at: entry.at, result: 'done'})
      state.records.set(entry.jid, record)
      break
    }
    case 'acted': {
      const rung = state.records.get(entry.jid)?.rungs.findLast((candidate) => candidate.method === entry.method)
      if (!rung) break
      state.maybeSent.delete(entry.jid)
      Object.assign(rung, {result: entry.result, ...(entry.reason ? {reason: entry.reason} : {})})
      break
    }
    case 'sent': {
      const record = state.records.get(entry.jid)
      if (!record) break
      state.maybeSent.delete(entry.jid)
      const ack = ackFromText(entry.ack)
      Object.assign(record, {ack, ackMs: entry.ackMs})
      const rung = record.rungs.findLast((candidate) => candidate.method === 'packet')
      if (rung && ack.kind === 'refused') rung.result = 'refused'
      break
    }
    case 'settled': {
      const record = state.records.get(entry.jid)
      if (!record) break
      state.maybeSent.delete(entry.jid)
      state.settled.add(entry.jid)
      Object.assign(record, {
        outcome: entry.outcome,
        reconnectedTo: entry.reconnectedTo,
        reconnectedJid: entry.reconnectedJid,
        latencyMs: entry.latencyMs,
        method: entry.method ?? (entry.outcome === 'moved' ? 'packet' : null),
      })
      break
    }
    case 'resumed':
      state.resumes++
      state.finished = undefined
      state.stopped = undefined
      break
    case 'finished':
      state.finished = {at: entry.at, exitCode: entry.exitCode, ...(entry.reason ? {reason: entry.reason} : {})}
      break
    case 'stopped':
      state.stopped = {at: entry.at, exitCode: entry.exitCode, reason: entry.reason}
      break
  }
}

export interface RunSummaryRow {
  id: string
  command: string
  source: string | null
  targets: string[]
  startedAt: string
  planned: number
  sent: number
  moved: number
  notMoved: number
  /** finished; failed (before or while sending, not resumable); unfinished (interrupted or stopped: resumable). */
  state: 'finished' | 'failed' | 'unfinished'
  exitCode: number | null
}

/** Every run in the directory, newest first. */
export function listRuns(dir: string): RunSummaryRow[] {
  let files: string[]
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.ndjson'))
  } catch {
    return []
  }
  const rows: RunSummaryRow[] = []
  for (const file of files) {
    let state: RunState
    try {
      state = replay(readFileSync(join(dir, file), 'utf8'), join(dir, file))
    } catch {
      continue
    }
    const records = [...state.records.values()]
    rows.push({
      id: state.header.id,
      command: state.header.command,
      source: state.header.source,
      targets: state.header.targets,
      startedAt: new Date(state.header.startedAt).toISOString(),
      planned: state.planned.length,
      sent: records.length,
      moved: records.filter((record) => state.settled.has(record.jid) && record.outcome === 'moved').length,
      notMoved: records.filter((record) => state.settled.has(record.jid) && record.outcome !== 'moved').length,
      state: state.finished ? (state.finished.reason ? 'failed' : 'finished') : 'unfinished',
      exitCode: state.finished?.exitCode ?? state.stopped?.exitCode ?? null,
    })
  }
  return rows.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
}
