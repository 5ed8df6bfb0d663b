import {closeSync, mkdirSync, openSync, writeSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {join} from 'node:path'

import type {JournalEntry} from './journal-entries.js'

export interface JournalWriter {
  id: string
  path: string
  append(entry: JournalEntry): void
  close(): void
}

/** A new run id: sortable by time, unique enough for one operator's machine. */
export function newRunId(now: number, command: string): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${command}-${randomBytes(2).toString('hex')}`
}

/**
 * Appends one line per step with a write(2) each: what was written survives
 * the process being killed (kill -9 included), which is what resuming needs.
 */
export function openJournal(dir: string, id: string): JournalWriter {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const path = join(dir, `${id}.ndjson`)
  const fd = openSync(path, 'a', 0o600)
  return {
    id,
    path,
    append(entry) {
      writeSync(fd, JSON.stringify(entry) + '\n')
    },
    close() {
      closeSync(fd)
    },
  }
}
