import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {describePlan} from '../../src/cli/transfer-flow.js'
import {openJournal} from '../../src/journal/journal-writer.js'
import type {TransferSettings} from '../../src/model/settings.js'
import {estimatePace} from '../../src/operations/pace-estimate.js'
import type {TransferPlan} from '../../src/operations/plan-transfer.js'
import {testTempDir} from '../support/temp-dir.js'

const settings: TransferSettings = {
  namespace: 'srvxfr',
  from: 'admin',
  rate: 'auto',
  concurrency: 100,
  waitMs: 60_000,
  ackTimeoutMs: 10_000,
  pollMs: 250,
  fallback: 'none',
}

/** A journal as a run writes it: `sessions` first moves, `gapMs` apart. */
function writeRun(dir: string, id: string, options: {rate?: number | 'auto'; sessions: number; gapMs: number; source?: string; resumed?: boolean}) {
  const journal = openJournal(dir, id)
  const startedAt = Date.parse('2026-12-01T10:00:00Z')
  journal.append({
    type: 'run',
    v: 1,
    id,
    command: 'drain',
    source: options.source ?? 'node-1',
    targets: ['node-2'],
    settings: {...settings, rate: options.rate ?? 'auto'},
    startedAt,
  })
  for (let n = 0; n < options.sessions; n++) {
    const jid = `u${n}@example.test/r`
    journal.append({type: 'planned', jid, bare: `u${n}@example.test`, resource: 'r', from: 'node-1', target: 'node-2', address: '127.0.0.1:5222', isNode: true})
    journal.append({type: 'sending', jid, at: startedAt + n * options.gapMs})
    journal.append({type: 'sent', jid, at: startedAt + n * options.gapMs, ack: 'result', ackMs: 2})
  }
  if (options.resumed) journal.append({type: 'resumed', at: startedAt + 3_600_000, pid: 1})
  journal.close()
}

describe('how long a run will take, and what the estimate rests on', () => {
  const nodes = ['node-1', 'node-2', 'node-3']

  test('--rate N: the fixed rate', () => {
    assert.deepEqual(estimatePace(50, '/nonexistent', nodes), {kind: 'fixed', rate: 50})
  })

  test('--rate auto: the newest earlier auto run on these nodes with enough sessions, read from its journal', () => {
    const dir = testTempDir('xtransfer-pace-')
    assert.deepEqual(estimatePace('auto', dir, nodes), {kind: 'unknown'})
    writeRun(dir, '20261201T090000Z-drain-aaaa', {sessions: 101, gapMs: 40}) // 25/s
    writeRun(dir, '20261201T091000Z-drain-bbbb', {sessions: 5, gapMs: 10}) // too few
    writeRun(dir, '20261201T092000Z-drain-cccc', {sessions: 50, gapMs: 10, rate: 100}) // a fixed rate says nothing of the cluster
    writeRun(dir, '20261201T093000Z-drain-dddd', {sessions: 50, gapMs: 10, source: 'other-cluster-node'})
    writeRun(dir, '20261201T094000Z-drain-eeee', {sessions: 50, gapMs: 10, resumed: true})
    const basis = estimatePace('auto', dir, nodes)
    assert.equal(basis.kind, 'earlier-run')
    assert.ok(basis.kind === 'earlier-run' && Math.abs(basis.rate - 25) < 1e-9 && basis.runId === '20261201T090000Z-drain-aaaa' && basis.sessions === 101)
  })

  const plan = {
    command: 'drain',
    source: 'node-1',
    targets: ['node-2', 'node-3'],
    items: Array.from({length: 600}),
    perTarget: {'node-2': 300, 'node-3': 300},
  } as unknown as TransferPlan

  test('the confirmation: one line with where sessions go, about how long, and why', () => {
    assert.equal(describePlan(plan, {kind: 'fixed', rate: 50}), 'drain node-1: 600 sessions → node-2 300, node-3 300, about 12s at 50/s (--rate 50)')
    assert.equal(
      describePlan(plan, {kind: 'earlier-run', rate: 24.4, runId: '20261201T090000Z-drain-aaaa', sessions: 101}),
      'drain node-1: 600 sessions → node-2 300, node-3 300, about 25s at ~24/s (--rate auto; the average pace of run 20261201T090000Z-drain-aaaa, 101 sessions)',
    )
    const unknown = describePlan(plan, {kind: 'unknown'})
    assert.match(unknown, /^drain node-1: 600 sessions → node-2 300, node-3 300, at the pace the cluster absorbs \(--rate auto; no earlier auto run/)
    for (const line of [unknown, describePlan(plan, {kind: 'fixed', rate: 0.5})]) assert.ok(!line.includes('\n'))
    assert.match(
      describePlan({...plan, items: [1], perTarget: {'10.0.0.5:5222': 1}, command: 'move', source: null} as unknown as TransferPlan, {
        kind: 'fixed',
        rate: 0.5,
      }),
      /^move: 1 session → 10\.0\.0\.5:5222 1, about 2s at 0\.5\/s/,
    )
  })
})
