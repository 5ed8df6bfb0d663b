import assert from 'node:assert/strict'
import {test} from 'node:test'

import {readCliJournal} from '../../bench/analysis/cli-journal.js'
import {type DirectoryLog, directoryPolls, directorySummary} from '../../bench/analysis/directory-polls.js'
import {peakRate, spread, timeToShare} from '../../bench/analysis/stats.js'
import {readSettings, SettingsError} from '../../bench/settings.js'
import type {TransferReport} from '../../src/engine/report.js'
import {openJournal} from '../../src/journal/journal-writer.js'
import {runsDir} from '../../src/journal/runs-dir.js'
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

/** A drain journal as xtransfer writes it into the state dir the bench gives the CLI: u1, u2 answered, u3's answer never written. */
function writeDrainJournal(stateDir: string): void {
  const journal = openJournal(runsDir({XTRANSFER_STATE_DIR: stateDir}), '20261126T010203Z-drain-abcd')
  journal.append({type: 'run', v: 1, id: '20261126T010203Z-drain-abcd', command: 'drain', source: 'node-1', targets: ['node-2'], settings, startedAt: 1000})
  for (const n of [1, 2, 3, 4]) journal.append(planned(n))
  journal.append({type: 'sending', jid: 'u1@d/r', at: 1100})
  journal.append({type: 'sent', jid: 'u1@d/r', at: 1100, ack: 'result', ackMs: 5})
  journal.append({type: 'settled', jid: 'u1@d/r', outcome: 'moved', reconnectedTo: 'node-2', reconnectedJid: 'u1@d/r', latencyMs: 300})
  journal.append({type: 'sending', jid: 'u2@d/r', at: 1200})
  journal.append({type: 'sent', jid: 'u2@d/r', at: 1200, ack: 'result', ackMs: 4})
  journal.append({type: 'sending', jid: 'u3@d/r', at: 1300})
  // u2 refused the packet: the ladder's next rung.
  journal.append({type: 'acting', jid: 'u2@d/r', method: 'handover', at: 1400})
  journal.append({type: 'acted', jid: 'u2@d/r', method: 'handover', at: 1401, result: 'done'})
  journal.close()
}

test("the CLI's journal, read with xtransfer's own reader: every packet that started, and those answered", () => {
  const state = testTempDir('xtbench-journal-')
  writeDrainJournal(state)
  const journal = readCliJournal(state)
  assert.equal(journal.runStartedAt, 1000)
  assert.deepEqual(journal.sendingAt.sort(), [1100, 1200, 1300])
  assert.deepEqual(
    journal.sent.sort((a, b) => a.at - b.at),
    [
      {jid: 'u1@d/r', at: 1100},
      {jid: 'u2@d/r', at: 1200},
    ],
  )
  assert.deepEqual(
    journal.moves.sort((a, b) => a.at - b.at),
    [
      {jid: 'u1@d/r', method: 'packet', at: 1100},
      {jid: 'u2@d/r', method: 'packet', at: 1200},
      {jid: 'u3@d/r', method: 'packet', at: 1300},
      {jid: 'u2@d/r', method: 'handover', at: 1400},
    ],
  )
})

test('no journal (the CLI never got to write one): nothing sent', () => {
  assert.deepEqual(readCliJournal(testTempDir('xtbench-empty-')), {sendingAt: [], sent: [], moves: [], runStartedAt: null})
})

test('directory calls are set against the sessions pending when each was made', () => {
  const journal = {
    moves: [],
    runStartedAt: 1000,
    sendingAt: [1000, 1100, 1200],
    sent: [
      {jid: 'a', at: 1000},
      {jid: 'b', at: 1100},
      {jid: 'c', at: 1200},
    ],
  }
  const report = {
    sessions: [
      {jid: 'a', outcome: 'moved', latencyMs: 500},
      {jid: 'b', outcome: 'moved', latencyMs: 1400},
      {jid: 'c', outcome: 'not-moved', latencyMs: null},
    ],
  } as unknown as TransferReport
  const call = (command: string, at: number, bytes: number) => ({command, at, ms: 10, bytes, status: 200})
  const directory: DirectoryLog = {
    pid: 1,
    exitedAt: 0,
    hwmMb: null,
    userCpuS: 0,
    systemCpuS: 0,
    maxRssMb: 0,
    calls: [
      call('connected_users_info', 900, 100), // before any packet: 0 pending
      call('connected_users_info', 1250, 400), // a, b, c sent; none settled: 3
      call('connected_users_info', 1600, 300), // a settled at 1500: 2
      call('user_sessions_info', 2600, 50), // b settled at 2500: 1 (c never settles)
    ],
  }
  const polls = directoryPolls(directory, journal, report)
  assert.deepEqual(
    polls.map((p) => p.pending),
    [0, 3, 2, 1],
  )
  const summary = directorySummary(directory, polls)
  assert.equal(summary?.calls, 4)
  assert.equal(summary?.bytes, 850)
  assert.deepEqual(summary?.byCommand.connected_users_info, {calls: 3, bytes: 800, ms: 30})
  assert.deepEqual(summary?.whileWatching, {
    listings: 2,
    listingBytesPerCall: 350,
    listingMsPerCall: 10,
    pendingAtListings: {max: 3, min: 2},
    bytesPerPendingAtLastListing: 150,
    perUserCalls: 1,
  })
  assert.equal(directorySummary(null, []), null)
})

test("statistics: xtransfer's own nearest-rank percentile, time to a share, peak rate", () => {
  assert.deepEqual(spread([]), {p50: null, p95: null, p99: null, max: null})
  assert.deepEqual(spread([10.4, 20.6, 30, 40]), {p50: 21, p95: 40, p99: 40, max: 40})
  assert.equal(timeToShare([3000, 1000, 2000], 3, 1, 0), 3)
  assert.equal(timeToShare([3000, 1000, 2000], 4, 0.5, 0), 2)
  assert.equal(timeToShare([1000], 4, 0.5, 0), null)
  assert.equal(peakRate([0, 100, 999, 1000, 2500]), 3)
})

test('settings: the defaults, and a bad value is one clear error', () => {
  const s = readSettings({XTRANSFER_LAB_DIR: '/tmp/lab', BENCH_USERS: '3000'}, '/repo')
  assert.equal(s.users, 3000)
  assert.equal(s.workers, 3)
  assert.equal(s.msgUsers, 100)
  assert.deepEqual(s.phases, ['floor', 'drain', 'drain-default', 'drain-50', 'drain-bbm', 'drain-ordinary', 'kick', 'stop-node'])
  assert.equal(s.out, '/repo/bench/results')
  assert.equal(s.updateDocsPicture, true)
  assert.equal(readSettings({BENCH_OUT: '/tmp/elsewhere'}, '/repo').updateDocsPicture, false)
  assert.deepEqual(readSettings({BENCH_PHASES: 'floor, kick'}, '/repo').phases, ['floor', 'kick'])
  assert.throws(
    () => readSettings({BENCH_USERS: '2e3'}, '/repo'),
    (error) => error instanceof SettingsError && /BENCH_USERS must be a whole number/.test(error.message),
  )
  assert.throws(
    () => readSettings({BENCH_PHASES: 'floor,drian'}, '/repo'),
    (error) => error instanceof SettingsError && /unknown phase\(s\) drian/.test(error.message),
  )
  assert.throws(() => readSettings({BENCH_SAMPLER: 'listing'}, '/repo'), SettingsError)
  assert.throws(() => readSettings({BENCH_RATE_FACTOR: 'fast'}, '/repo'), SettingsError)
})

test('spread over more values than Math.max can take as arguments (a long phase has 100,000+ message delays)', () => {
  const delays = Array.from({length: 300_000}, (_, i) => i % 1000)
  delays[123_456] = 5000
  assert.equal(spread(delays).max, 5000)
  assert.equal(spread(delays).p50, 500) // one 456 fewer: the 150,000th value is 500
})
