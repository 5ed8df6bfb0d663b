// The report of a run far larger than the lab's: what a drain of a node of 10^5-10^6 sessions ends with.
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {buildReport} from '../../src/engine/report.js'
import {ACK_RESULT} from '../../src/model/ack.js'
import type {TransferRecord} from '../../src/model/transfer.js'

test('a report of 200,000 moved sessions is built, with their highest latency (Math.max of a spread threw past ~125,000)', () => {
  const records: TransferRecord[] = Array.from({length: 200_000}, (_, i) => ({
    jid: `u${i}@d/r`,
    bare: `u${i}@d`,
    resource: 'r',
    from: 'node-1',
    target: 'node-2',
    reconnectedTo: 'node-2',
    reconnectedJid: `u${i}@d/r`,
    ack: ACK_RESULT,
    sentAt: 1_000 + i,
    ackMs: 2,
    // The highest in the middle: neither the first nor the last.
    latencyMs: i === 123_456 ? 9_999 : 100 + (i % 500),
    outcome: 'moved',
    method: 'packet',
    rungs: [{method: 'packet', at: 1_000 + i, result: 'done'}],
  }))
  const report = buildReport({
    command: 'drain',
    source: 'node-1',
    targets: ['node-2'],
    dryRun: false,
    startedAt: 1_000,
    finishedAt: 300_000,
    options: {namespace: 'srvxfr', from: 'admin', rate: 'auto', concurrency: 100, waitMs: 60_000, fallback: 'none'},
    acksObservable: true,
    records,
    notSent: [],
    alreadyThere: 0,
  })
  assert.equal(report.summary.moved, 200_000)
  assert.deepEqual(report.summary.latencyMs, {p50: 349, p95: 575, max: 9_999})
})
