import {closeSync, openSync, readdirSync, readSync} from 'node:fs'
import {join} from 'node:path'

import type {JournalEntry} from '../journal/journal-entries.js'
import {readRun} from '../journal/journal-reader.js'

/** What the confirmation's "how long" rests on. */
export type PaceBasis =
  /** `--rate N`: the pacer holds it (a cluster slower than N makes the run longer). */
  | {kind: 'fixed'; rate: number}
  /** `--rate auto`: the average pace an earlier auto run on these nodes kept, first move to last. */
  | {kind: 'earlier-run'; rate: number; runId: string; sessions: number}
  /** `--rate auto` and no earlier run to go by. */
  | {kind: 'unknown'}

/** An earlier run this small spends most of its time in the pacer's slow start: no basis. */
const MIN_SESSIONS = 20
/** Journals looked at, newest first: enough to skip a few fixed-rate or foreign runs. */
const LOOK_BACK = 20

/**
 * The pace to expect: the fixed rate, or for `--rate auto` the average pace of the newest
 * earlier auto run between nodes of this config that moved at least MIN_SESSIONS sessions
 * in one go (a resumed run's pause would read as slowness). Reads only that run's journal
 * in full; the others' first line.
 */
export function estimatePace(rate: number | 'auto', runsDir: string, nodeNames: readonly string[]): PaceBasis {
  if (rate !== 'auto') return {kind: 'fixed', rate}
  let files: string[]
  try {
    files = readdirSync(runsDir).filter((file) => file.endsWith('.ndjson'))
  } catch {
    return {kind: 'unknown'}
  }
  const known = new Set(nodeNames)
  // Run ids start with their UTC start time (20261126T011120Z-…): names sort by age.
  for (const file of files.sort().reverse().slice(0, LOOK_BACK)) {
    const header = firstEntry(join(runsDir, file))
    if (header?.type !== 'run' || header.settings.rate !== 'auto') continue
    if (![...(header.source ? [header.source] : []), ...header.targets].every((node) => known.has(node))) continue
    let state
    try {
      state = readRun(runsDir, header.id)
    } catch {
      continue
    }
    if (state.resumes > 0) continue
    const starts = [...state.records.values()].map((record) => record.sentAt)
    if (starts.length < MIN_SESSIONS) continue
    const spanMs = Math.max(...starts) - Math.min(...starts)
    if (spanMs <= 0) continue
    return {kind: 'earlier-run', rate: ((starts.length - 1) * 1000) / spanMs, runId: header.id, sessions: starts.length}
  }
  return {kind: 'unknown'}
}

/** The journal's first line (its `run` header), without reading the rest. */
function firstEntry(path: string): JournalEntry | undefined {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const buffer = Buffer.alloc(8192)
    const length = readSync(fd, buffer, 0, buffer.length, 0)
    const line = buffer.subarray(0, length).toString('utf8').split('\n')[0]
    return JSON.parse(line) as JournalEntry
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
