// The figures of the tracking benches (bench/tracking/, bench/startup/): pure functions over
// what the benches measured, checked on small hand-made inputs.
import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {DirectoryCall} from '../../bench/analysis/directory-polls.js'
import {type CpuProfile, cpuSelfByPackage} from '../../bench/startup/cpu-by-package.js'
import {type StartupMarks, startupPhases} from '../../bench/startup/marks.js'
import {type CostSample, crossover, fitLine, thresholdModel} from '../../bench/tracking/crossover-model.js'
import {bindToSeen, groupPolls, pollsOf} from '../../bench/tracking/tracking-figures.js'
import type {TransferRecord} from '../../src/model/transfer.js'

function record(bare: string, sentAt: number, latencyMs: number | null, outcome: TransferRecord['outcome'] = 'moved'): TransferRecord {
  return {
    jid: `${bare}/r`,
    bare,
    resource: 'r',
    from: 'node-1',
    target: 'node-2',
    reconnectedTo: outcome === 'moved' ? 'node-2' : null,
    reconnectedJid: null,
    ack: {kind: 'result'},
    sentAt,
    ackMs: 5,
    latencyMs,
    outcome,
    method: 'packet',
    rungs: [],
  } as TransferRecord
}

test('bind → seen: from the client bind to the end of the poll that saw it; rows without a bind or not moved are left out', () => {
  const records = [record('a@x', 1_000, 900), record('b@x', 1_000, 2_500), record('c@x', 1_000, 400), record('d@x', 1_000, null, 'not-moved')]
  const bound = new Map([
    ['a@x', 1_500], // seen at 1,900: 400 ms
    ['b@x', 2_000], // seen at 3,500: 1,500 ms
  ])
  const figures = bindToSeen(records, bound)
  assert.equal(figures.moved, 3)
  assert.equal(figures.withBind, 2)
  assert.equal(figures.ms.max, 1_500)
  assert.equal(figures.withinOneSecond, 50)
  assert.equal(figures.lastBindToLastSeenMs, 1_500)
})

test("directory calls group into the tracker's polls, each against the sessions pending when it began", () => {
  const call = (command: string, at: number, bytes: number): DirectoryCall => ({command, at, ms: 5, bytes, status: 200})
  const records = [record('a@x', 1_000, 600), record('b@x', 1_000, 1_200), record('c@x', 1_100, 5_000)]
  const calls = [
    call('connected_users_info', 900, 50_000), // the plan's listing: nothing pending yet
    call('user_sessions_info', 1_250, 170),
    call('user_sessions_info', 1_260, 170),
    call('user_sessions_info', 1_330, 170),
    call('list_cluster', 1_400, 60), // watching the nodes, not tracking
    call('user_sessions_info', 1_700, 170),
    call('user_sessions_info', 1_720, 170),
  ]
  const polls = groupPolls(calls, records)
  assert.deepEqual(
    polls.map(({at, calls: n, bytes, pending}) => [at, n, bytes, pending]),
    [
      [1_250, 3, 510, 3],
      [1_700, 2, 340, 2],
    ],
  )
  const figures = pollsOf(calls, records)
  assert.equal(figures.polls, 2)
  assert.equal(figures.listings, 0)
  assert.deepEqual(figures.byPending, [{pending: '1-8', polls: 2, bytesPerPoll: 425, bytesPerPendingSession: 170}])
})

test('the crossover: pending users at which a poll costs as much as one listing, by server CPU and by wall time', () => {
  assert.deepEqual(
    fitLine([
      [0, 1],
      [10, 21],
    ]),
    {a: 1, b: 2},
  )
  const sample: CostSample = {
    sessions: 1_000,
    auth: 'token',
    listing: {cpuMs: 100, wallMs: 200, bytes: 200_000},
    perUser: {cpuMs: 2, wallMs: 5, bytes: 170},
    polls: [
      {users: 10, cpuMs: 20, wallMs: 20},
      {users: 40, cpuMs: 80, wallMs: 80},
    ],
  }
  assert.deepEqual(crossover(sample), {sessions: 1_000, auth: 'token', byServerCpu: 50, byWallTime: 100})
  const model = thresholdModel([sample, {...sample, sessions: 2_000, listing: {...sample.listing, cpuMs: 200}}], 'token')
  assert.ok(model)
  assert.equal(Math.round(model.perSession * 1000) / 1000, 0.05)
  assert.equal(Math.round(model.fixed), 0)
  assert.equal(thresholdModel([sample], 'basic'), undefined)
})

test('start-up phases from the marks, in ms from the spawn', () => {
  const marks: StartupMarks = {
    timeOrigin: 1_010,
    preloadAt: 1_060,
    files: [
      {path: '/lab/xtransfer.yaml', at: 1_300, doneAt: 1_302},
      {path: '/lab/admin.password', at: 1_320, doneAt: 1_321},
    ],
    calls: [
      {command: 'xtransfer_version', at: 1_340, doneAt: 1_350, status: 404},
      {command: 'connected_users_info', at: 1_352, doneAt: 1_380, status: 200},
      {command: 'oauth_issue_token', at: 1_400, doneAt: 1_410, status: 200},
      {command: 'user_sessions_info', at: 1_500, doneAt: 1_505, status: 200},
    ],
    connects: [
      {port: 37281, at: 1_340},
      {port: 37221, at: 1_401},
    ],
    runOpened: {at: 1_395, cpuMs: 250},
    firstPacket: {at: 1_450, cpuMs: 280},
    exitAt: 2_000,
    cpuMsAtExit: 400,
  }
  const phases = startupPhases(marks, 1_000, {configPath: '/lab/xtransfer.yaml', apiPorts: [37281]})
  assert.deepEqual(phases, {
    boot: 60,
    load: 240,
    configAndPassword: 40,
    plan: 55,
    runStart: 55,
    adminLogin: 49,
    toFirstPacket: 450,
    wall: 1_000,
    cpuToFirstPacket: 280,
    cpu: 400,
    callsBeforeFirstPacket: ['xtransfer_version', 'connected_users_info', 'oauth_issue_token'],
  })
})

test("a CPU profile's self time goes to the package on the stack, Node's loader to whoever called it, idle to nobody", () => {
  const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({id, callFrame: {functionName, url}, children})
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(root)', '', [2, 5, 6]),
      frame(2, 'loadConfig', 'file:///x/dist/config/load-config.js', [3]),
      frame(3, 'import', 'node:internal/modules/esm/loader', [4]),
      frame(4, 'parse', 'file:///x/node_modules/yaml/dist/index.js'),
      frame(5, '(idle)', ''),
      frame(6, '(garbage collector)', ''),
    ],
    samples: [3, 4, 4, 5, 6, 3],
    timeDeltas: [1_000, 2_000, 2_000, 50_000, 500, 1_000],
  }
  assert.deepEqual(cpuSelfByPackage(profile), [
    {name: 'yaml', ms: 4},
    {name: 'ours:config/load-config', ms: 2},
    {name: '(garbage collector)', ms: 1},
  ])
  // Cut at 5 ms: the last loader sample (at 56.5 ms) is left out.
  assert.deepEqual(cpuSelfByPackage(profile, 5), [
    {name: 'yaml', ms: 4},
    {name: 'ours:config/load-config', ms: 1},
  ])
})
