import assert from 'node:assert/strict'
import {readFileSync, statSync, appendFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {listRuns, readRun, replay} from '../../src/journal/journal-reader.js'
import {newRunId, openJournal} from '../../src/journal/journal-writer.js'
import {ackToText} from '../../src/model/ack.js'
import {reportFromJournal} from '../../src/operations/run-report.js'
import {testTempDir} from '../support/temp-dir.js'

const settings = {
  namespace: 'srvxfr' as const,
  from: 'admin' as const,
  rate: 50,
  concurrency: 10,
  waitMs: 5000,
  ackTimeoutMs: 1000,
  pollMs: 250,
  fallback: 'none' as const,
}
const planned = (n: number) => ({
  type: 'planned' as const,
  jid: `u${n}@d/r`,
  bare: `u${n}@d`,
  resource: 'r',
  from: 'node-1',
  target: 'node-2',
  address: '127.0.0.1:5222',
  isNode: true,
})

function writeRun(dir: string) {
  const id = newRunId(Date.UTC(2026, 10, 26, 1, 2, 3), 'drain')
  const journal = openJournal(dir, id)
  journal.append({type: 'run', v: 1, id, command: 'drain', source: 'node-1', targets: ['node-2'], settings, startedAt: 1000})
  for (const n of [1, 2, 3, 4]) journal.append(planned(n))
  journal.append({type: 'sending', jid: 'u1@d/r', at: 1100})
  journal.append({type: 'sent', jid: 'u1@d/r', at: 1100, ack: 'result', ackMs: 5})
  journal.append({type: 'settled', jid: 'u1@d/r', outcome: 'moved', reconnectedTo: 'node-2', reconnectedJid: 'u1@d/r', latencyMs: 300})
  journal.append({type: 'sending', jid: 'u2@d/r', at: 1200})
  journal.append({type: 'sent', jid: 'u2@d/r', at: 1200, ack: 'result', ackMs: 4})
  journal.append({type: 'sending', jid: 'u3@d/r', at: 1300})
  journal.close()
  return {id, path: journal.path}
}

test('a journal is private, one JSON line per step, and its id sorts by time', () => {
  const dir = testTempDir('xtransfer-journal-')
  const {id, path} = writeRun(dir)
  assert.match(id, /^20261126T010203Z-drain-[0-9a-f]{4}$/)
  assert.equal(statSync(path).mode & 0o777, 0o600)
  assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 11)
})

test('replay: settled, acked-in-flight, maybe-sent and never-sent sessions are told apart', () => {
  const dir = testTempDir('xtransfer-journal-')
  const {id} = writeRun(dir)
  const state = readRun(dir, id)
  assert.deepEqual([...state.settled], ['u1@d/r'])
  assert.deepEqual([...state.maybeSent], ['u3@d/r'])
  assert.deepEqual([...state.records.keys()], ['u1@d/r', 'u2@d/r', 'u3@d/r'])
  assert.equal(ackToText(state.records.get('u2@d/r')!.ack), 'result')
  assert.equal(state.finished, undefined)
  const {report, exitCode} = reportFromJournal(state)
  assert.equal(report.summary.total, 4)
  assert.equal(report.summary.moved, 1)
  assert.equal(report.summary.unsent, 1)
  assert.match(report.message!, /unfinished: resume with xtransfer resume/)
  assert.equal(exitCode, 1)
})

test('a line torn by a crash at the end is ignored; damage in the middle is an error', () => {
  const dir = testTempDir('xtransfer-journal-')
  const {id, path} = writeRun(dir)
  appendFileSync(path, '{"type":"sett')
  assert.equal(readRun(dir, id).records.size, 3)
  const text = readFileSync(path, 'utf8').split('\n')
  text.splice(3, 0, 'garbage')
  const damaged = testTempDir('xtransfer-journal-')
  appendFileSync(join(damaged, `${id}.ndjson`), text.join('\n'))
  assert.throws(() => readRun(damaged, id), /damaged at line 4/)
})

test('line by line: blank lines do not count, a torn last line may be followed by blank ones, and damage is reported before a wrong first line', () => {
  const run = JSON.stringify({type: 'run', v: 1, id: 'R', command: 'move', source: null, targets: ['n2'], settings, startedAt: 1})
  const planned = JSON.stringify({type: 'planned', jid: 'a@d/r', bare: 'a@d', resource: 'r', from: 'n1', target: 'n2', address: '10.0.0.2:5222', isNode: true})
  assert.equal(replay([run, '', planned, '{"type":"sett', '', ''].join('\n'), 'j').planned.length, 1)
  assert.throws(() => replay([run, '', '', planned, 'garbage', planned].join('\n'), 'j'), /damaged at line 3/)
  assert.throws(() => replay([planned, planned].join('\n'), 'j'), /j is not an xtransfer journal/)
  assert.throws(() => replay([planned, 'garbage', planned].join('\n'), 'j'), /damaged at line 2/)
  assert.throws(() => replay('{"type":"ru', 'j'), /j is not an xtransfer journal/)
})

test('runs are listed newest first with their counts; unknown ids are usage errors', () => {
  const dir = testTempDir('xtransfer-journal-')
  writeRun(dir)
  const later = openJournal(dir, newRunId(Date.UTC(2026, 10, 27), 'move'))
  later.append({type: 'run', v: 1, id: later.id, command: 'move', source: null, targets: ['node-3'], settings, startedAt: Date.UTC(2026, 10, 27)})
  later.append({type: 'finished', at: Date.UTC(2026, 10, 27), exitCode: 0})
  later.close()
  const runs = listRuns(dir)
  assert.equal(runs.length, 2)
  assert.equal(runs[0].command, 'move')
  assert.equal(runs[0].state, 'finished')
  assert.equal(runs[1].state, 'unfinished')
  assert.equal(runs[1].planned, 4)
  assert.equal(runs[1].sent, 3)
  assert.throws(() => readRun(dir, 'nope'), /no run "nope"/)
  assert.throws(() => readRun(dir, '../etc/passwd'), /not a run id/)
})
