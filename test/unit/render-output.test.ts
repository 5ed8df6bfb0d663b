import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {Chalk} from 'chalk'

import {buildReport, type ReportInput} from '../../src/engine/report.js'
import type {RunSummaryRow} from '../../src/journal/journal-reader.js'
import {ACK_RESULT, ACK_TIMEOUT, refused} from '../../src/model/ack.js'
import type {SessionInfo} from '../../src/model/session.js'
import type {Outcome, TransferRecord} from '../../src/model/transfer.js'
import type {NodeRow} from '../../src/operations/list-nodes.js'
import type {ProbeRow} from '../../src/operations/probe-sessions.js'
import {layoutColumns, layoutWidth} from '../../src/render/columns.js'
import {renderReport} from '../../src/render/report-table.js'
import {renderNodes, renderProbe, renderRuns, renderSessions} from '../../src/render/tables.js'
import type {View} from '../../src/render/view.js'

const plain = new Chalk({level: 0})
const colour = new Chalk({level: 1})
const table: View = {style: plain, wide: false, header: true}
const wide: View = {...table, wide: true}
/** cli-table3's corners and rules: none of them may appear. */
const BOX = /[┌┐└┘├┤┬┴┼│─]/

// Realistic widths: production JIDs and node names are about this long (the lab's are 31 characters).
const jid = (n: number) => `user${String(n).padStart(5, '0')}@chat.example.org/mobile-${n % 7}`
const T0 = Date.parse('2026-12-01T10:00:00.000Z')

function record(n: number, outcome: Outcome): TransferRecord {
  const moved = outcome === 'moved'
  return {
    jid: jid(n),
    bare: jid(n).split('/')[0],
    resource: 'mobile',
    from: 'node-1',
    target: n % 2 ? 'node-2' : 'node-3',
    reconnectedTo: moved ? (n % 2 ? 'node-2' : 'node-3') : null,
    reconnectedJid: moved ? jid(n) : null,
    ack: outcome === 'unsupported' ? refused('service-unavailable') : outcome === 'not-moved' ? ACK_TIMEOUT : ACK_RESULT,
    sentAt: T0 + n,
    ackMs: 4,
    latencyMs: moved ? 800 + (n % 500) : null,
    outcome,
    method: moved ? (n % 3 ? 'packet' : 'redirect') : null,
    rungs: [{method: 'packet', at: T0 + n, result: outcome === 'unsupported' ? 'refused' : 'done'}],
  }
}

function report(records: TransferRecord[], overrides: Partial<ReportInput> = {}) {
  return buildReport({
    command: 'drain',
    source: 'node-1',
    targets: ['node-2', 'node-3'],
    dryRun: false,
    startedAt: T0,
    finishedAt: T0 + 60_000,
    options: {namespace: 'srvxfr', from: 'admin', rate: 'auto', concurrency: 100, waitMs: 60_000, fallback: 'none'},
    acksObservable: true,
    records,
    notSent: [],
    alreadyThere: 0,
    ...overrides,
  })
}

const nodes: NodeRow[] = [
  {name: 'node-1', address: '10.20.30.41:5222', server: 'ejabberd@xmpp-1.prod.example.org', seen: true, sessions: 120_345, cordoned: true},
  {name: 'node-2', address: '10.20.30.42:5222', server: 'ejabberd@xmpp-2.prod.example.org', seen: true, sessions: 98_001, cordoned: false},
  {name: 'ejabberd@xmpp-9.prod.example.org', address: null, server: 'ejabberd@xmpp-9.prod.example.org', seen: false, sessions: 0, cordoned: null},
]
const sessions: SessionInfo[] = [1, 2, 3].map((n) => ({
  jid: jid(n),
  bare: jid(n).split('/')[0],
  resource: 'mobile',
  node: 'node-1',
  server: 'ejabberd@xmpp-1.prod.example.org',
  ip: '203.0.113.77',
  port: 51234,
  uptimeSeconds: 3 * 3600 + 125,
  streamManagement: 'active',
  resumable: true,
  capsNode: 'https://conversations.im',
}))
const runs: RunSummaryRow[] = [
  {
    id: '20261201T101500Z-drain-3f9a',
    command: 'drain',
    source: 'node-3',
    targets: ['node-1', 'node-2'],
    startedAt: '2026-12-01T10:15:00.123Z',
    planned: 50_000,
    sent: 50_000,
    moved: 49_990,
    notMoved: 10,
    state: 'finished',
    exitCode: 1,
  },
  {
    id: '20261201T091500Z-move-00aa',
    command: 'move',
    source: null,
    targets: ['10.20.30.45:5222'],
    startedAt: '2026-12-01T09:15:00.123Z',
    planned: 3,
    sent: 1,
    moved: 0,
    notMoved: 0,
    state: 'unfinished',
    exitCode: null,
  },
]
const probes: ProbeRow[] = [
  {jid: jid(1), node: 'node-1', answer: 'error:feature-not-implemented', srvxfr: false, cxfr: false},
  {jid: jid(2), node: 'node-1', answer: 'result', srvxfr: true, cxfr: true},
]

function assertFits(text: string, what: string) {
  assert.ok(layoutWidth(text) <= 80, `${what} is ${layoutWidth(text)} columns:\n${text}`)
  assert.doesNotMatch(text, BOX, `${what} has box drawing`)
}

describe('every human listing fits 80 columns, with no box drawing', () => {
  test('nodes, sessions, runs, probe and a run report, by default', () => {
    assertFits(renderNodes(nodes, table), 'nodes')
    assertFits(renderSessions(sessions, table), 'sessions')
    assertFits(renderRuns(runs, table), 'runs')
    assertFits(renderProbe(probes, table), 'probe')
    const outcomes: Outcome[] = ['moved', 'not-moved', 'unsupported', 'went-offline', 'kicked', 'unknown', 'returned', 'not-back']
    assertFits(renderReport(report(outcomes.map((outcome, n) => record(n, outcome))), table), 'report')
    const dry = report([], {dryRun: true, notSent: [1, 2].map((n) => ({jid: jid(n), from: 'node-1', target: 'node-2'}))})
    assertFits(renderReport(dry, {...table, firstMethods: new Map([[jid(1), 'handover']])}), 'dry run')
  })

  test('-o wide shows more columns than the table', () => {
    const columns = (text: string) =>
      text
        .split('\n')[0]
        .trim()
        .split(/\s{2,}/)
    assert.deepEqual(columns(renderNodes(nodes, table)), ['NODE', 'ADDRESS', 'SESSIONS', 'STATUS'])
    assert.deepEqual(columns(renderNodes(nodes, wide)), ['NODE', 'ADDRESS', 'SERVER', 'SESSIONS', 'CORDONED', 'IN-CLUSTER'])
    assert.deepEqual(columns(renderSessions(sessions, table)), ['JID', 'NODE', 'ADDRESS', 'UPTIME'])
    assert.deepEqual(columns(renderSessions(sessions, wide)), ['JID', 'NODE', 'SERVER', 'ADDRESS', 'UPTIME', 'SM', 'RESUMABLE', 'CLIENT'])
    assert.deepEqual(columns(renderRuns(runs, table)), ['RUN', 'COMMAND', 'MOVED', 'STATE'])
    assert.deepEqual(columns(renderRuns(runs, wide)), ['RUN', 'COMMAND', 'STARTED', 'MOVED', 'PLANNED', 'SENT', 'NOT-MOVED', 'STATE'])
    const run = report([record(1, 'moved'), record(2, 'not-moved')])
    assert.deepEqual(columns(renderReport(run, table)), ['JID', 'FROM', 'TO', 'LATENCY', 'OUTCOME'])
    assert.deepEqual(columns(renderReport(run, wide)), ['JID', 'FROM', 'TARGET', 'RECONNECTED', 'ACK', 'LATENCY', 'OUTCOME', 'METHOD', 'STEPS'])
    assert.match(renderReport(run, wide), /packet:done\(\d+ ms\)/)
  })

  test('a row says what it is: runs as moved of planned and their state, probe answers without the error: prefix', () => {
    const text = renderRuns(runs, table)
    assert.match(text, /^20261201T101500Z-drain-3f9a +drain node-3 +49990\/50000 +exit 1$/m)
    assert.match(text, /^20261201T091500Z-move-00aa +move → 10\.20\.30\.45:5222 +0\/3 +unfinished$/m)
    const failed = renderRuns([{...runs[0], state: 'failed', exitCode: 3}], table)
    assert.match(failed, /failed, exit 3$/m)
    assert.deepEqual(
      renderNodes(nodes, table)
        .split('\n')
        .map((line) => line.split(/\s+/).at(-1)),
      ['STATUS', 'up,cordoned', 'up', 'not-in-cluster'],
    )
    assert.match(renderProbe(probes, table), /feature-not-implemented +-$/m)
    assert.match(renderProbe(probes, wide), /error:feature-not-implemented/)
  })

  test('--no-header: rows only, no count line', () => {
    const text = renderSessions(sessions, {...table, header: false})
    assert.equal(text.split('\n').length, 3)
    assert.ok(text.startsWith(jid(1)))
    assert.doesNotMatch(renderNodes(nodes, {...table, header: false}), /NODE/)
    assert.doesNotMatch(renderReport(report([record(1, 'moved')]), {...table, header: false}), /JID|selected/)
    assert.match(renderSessions(sessions, table), /^3 sessions$/m)
  })

  test('on a terminal narrower than the rows, the long columns give way with an ellipsis; numbers never do', () => {
    const text = renderSessions(sessions, {...table, maxWidth: 50})
    assert.ok(layoutWidth(text) <= 50, text)
    assert.match(text, /…/)
    assert.match(text, /203\.0\.113\.77:51234 +3h02m$/m, 'the address and uptime are whole')
    // A pipe (no maxWidth) gets every character.
    assert.ok(renderSessions(sessions, {...table, wide: true}).includes('https://conversations.im'))
  })

  test('colour does not count in the width, and only the cells are painted', () => {
    const text = renderNodes(nodes, {...table, style: colour})
    // eslint-disable-next-line no-control-regex -- the escape codes are what is checked
    assert.match(text, /\x1b\[33mup,cordoned\x1b\[39m/)
    assert.equal(layoutWidth(text), layoutWidth(renderNodes(nodes, table)))
    // eslint-disable-next-line no-control-regex -- the escape codes are what is checked
    assert.doesNotMatch(renderNodes(nodes, table), /\x1b\[/)
  })

  test('layoutColumns pads, right-aligns numbers, trims the ends of lines, and measures wide characters', () => {
    const text = layoutColumns(
      [{title: 'A'}, {title: 'N', align: 'right'}, {title: 'Z'}],
      [
        ['日本語', 5, ''],
        ['x', 12345, 'end'],
      ],
      {header: true},
    )
    assert.deepEqual(text.split('\n'), ['A           N  Z', '日本語      5', 'x       12345  end'])
  })
})

describe('the report of a run', () => {
  test('a dry run: the summary first, then only what means something before sending, with the method it would start with', () => {
    const dry = report([], {
      dryRun: true,
      message: 'dry run: nothing sent',
      notSent: [1, 2, 3].map((n) => ({jid: jid(n), from: 'node-1', target: n === 3 ? 'node-3' : 'node-2'})),
    })
    const text = renderReport(dry, {...table, firstMethods: new Map([[jid(1), 'handover'] as const])})
    const lines = text.split('\n')
    assert.equal(lines[0], 'drain plan: 3 sessions → node-2 2, node-3 1')
    assert.equal(lines[1], 'dry run: nothing sent')
    assert.deepEqual(lines[3].split(/\s{2,}/), ['JID', 'FROM', 'TARGET', 'METHOD'])
    assert.match(text, new RegExp(`^${jid(1).replace(/[.]/g, '\\.')} +node-1 +node-2 +handover$`, 'm'))
    assert.doesNotMatch(text, /LATENCY|OUTCOME|ACK|planned$/m)
  })

  test('beyond the row limit: the exceptions and a line saying how to get every row; -o wide still lists all', () => {
    const records = Array.from({length: 1000}, (_, n) => record(n, n % 250 === 7 ? 'not-moved' : 'moved'))
    const big = report(records)
    const text = renderReport(big, table)
    const rows = text.split('\n').filter((line) => line.startsWith('user'))
    assert.equal(rows.length, 4)
    for (const row of rows) assert.match(row, /not-moved$/)
    assert.match(text, /^1000 sessions, listed: the 4 that did not move; every row: -o wide, --json or -o ndjson$/m)
    assert.match(text, /^1000 selected: 996 moved, 4 not moved/m)
    assert.equal(
      renderReport(big, wide)
        .split('\n')
        .filter((line) => line.startsWith('user')).length,
      1000,
    )
    const allMoved = renderReport(report(records.map((r) => ({...r, outcome: 'moved' as const}))), {...table, rowLimit: 10})
    assert.match(allMoved, /every one moved, none is listed/)
    assert.doesNotMatch(allMoved, /^JID/m)
    const manyFailed = renderReport(report(records.slice(0, 30).map((r) => ({...r, outcome: 'not-moved' as const}))), {...table, rowLimit: 10})
    assert.match(manyFailed, /listed: the first 10 of 30 that did not move/)
    const dry = report([], {dryRun: true, notSent: records.map((r) => ({jid: r.jid, from: r.from, target: r.target}))})
    assert.deepEqual(renderReport(dry, table).split('\n'), [
      'drain plan: 1000 sessions → node-2 500, node-3 500',
      '1000 sessions, planned sessions are not listed; every row: -o wide, --json or -o ndjson',
    ])
  })

  test('50,000 rows: summarised in a few lines, quickly', () => {
    const records = Array.from({length: 50_000}, (_, n) => record(n, n % 10_000 === 3 ? 'went-offline' : 'moved'))
    const big = report(records)
    const started = performance.now()
    const text = renderReport(big, table)
    const ms = performance.now() - started
    assert.ok(text.split('\n').length < 20, text)
    assert.ok(ms < 1000, `${ms} ms`)
  })

  test('--quiet: only the summary', () => {
    const text = renderReport(
      report([record(1, 'moved'), record(2, 'unsupported')], {
        pace: [
          {atMs: 0, rate: 20, reason: 'start'},
          {atMs: 1500, rate: 40, reason: 'raise'},
        ],
      }),
      {
        ...table,
        quiet: true,
      },
    )
    assert.deepEqual(text.split('\n'), [
      '2 selected: 1 moved, 0 not moved, 1 unsupported, 0 went offline',
      'reconnected to: node-2 1',
      'latency p50 801 ms, p95 801 ms, max 801 ms',
      'pace (auto): 20/s at first, peak 40/s at 1.50 s, 40/s at the end (1 change)',
    ])
  })
})
