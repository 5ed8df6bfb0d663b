import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {RunEvent} from '../../src/engine/run-transfers.js'
import {ACK_RESULT} from '../../src/model/ack.js'
import type {PlannedTransfer, TransferRecord} from '../../src/model/transfer.js'
import {formatDuration, progressBar, progressCounter, progressLine, startProgress} from '../../src/render/progress.js'

const item = (n: number): PlannedTransfer => ({
  jid: `u${n}@example.test/r`,
  bare: `u${n}@example.test`,
  resource: 'r',
  from: 'node-1',
  target: {name: 'node-2', address: {kind: 'hostname', host: 'node2.example.test', port: 5222} as never, isNode: true},
})
const record = (n: number, outcome: TransferRecord['outcome'], latencyMs: number | null = null): TransferRecord => ({
  jid: `u${n}@example.test/r`,
  bare: `u${n}@example.test`,
  resource: 'r',
  from: 'node-1',
  target: 'node-2',
  reconnectedTo: outcome === 'moved' ? 'node-2' : null,
  reconnectedJid: null,
  ack: ACK_RESULT,
  sentAt: 0,
  ackMs: 2,
  latencyMs,
  outcome,
  method: outcome === 'moved' ? 'packet' : null,
  rungs: [{method: 'packet', at: 0, result: 'done'}],
})

/** A run's clock and its events, driven by hand. */
function run(total: number, rate: number | 'auto' = 'auto') {
  let now = 10_000
  const counter = progressCounter(total, rate, () => now)
  return {
    counter,
    advance: (ms: number) => (now += ms),
    send: (n: number) => {
      counter.onEvent({type: 'sending', item: item(n), at: now})
      counter.onEvent({type: 'sent', record: record(n, 'not-moved')})
    },
    settle: (n: number, outcome: TransferRecord['outcome'], latencyMs: number | null = null) =>
      counter.onEvent({type: 'settled', record: record(n, outcome, latencyMs)}),
  }
}

describe('progress counts and pace, on the run clock', () => {
  test('the pace is the moves started over the last 5 s, and the ETA what is left at that pace plus a landing', () => {
    const r = run(100)
    // 10 moves a second for 5 s: 50 started; each lands 800 ms later.
    for (let n = 0; n < 50; n++) {
      r.send(n)
      if (n >= 8) r.settle(n - 8, 'moved', 800)
      r.advance(100)
    }
    const snap = r.counter.snapshot()
    assert.equal(snap.started, 50)
    assert.equal(snap.acked, 50)
    assert.equal(snap.moved, 42)
    assert.ok(Math.abs(snap.pace - 10) < 0.01, `pace ${snap.pace}`)
    // 50 to start at 10/s = 5 s, plus the 800 ms a landing takes.
    assert.equal(snap.etaMs, 5_800)
  })

  test('a second rung counts as a move for the pace, not as another session', () => {
    const r = run(2)
    r.send(1)
    r.counter.onEvent({type: 'acting', item: item(1), method: 'redirect', at: 0})
    r.advance(1000)
    const snap = r.counter.snapshot()
    assert.equal(snap.started, 1)
    assert.equal(snap.pace, 2)
  })

  test('the pace falls when moves stop: the window forgets them after 5 s', () => {
    const r = run(10, 5)
    for (let n = 0; n < 5; n++) r.send(n)
    r.advance(1000)
    assert.equal(r.counter.snapshot().pace, 5)
    r.advance(5_000)
    const idle = r.counter.snapshot()
    assert.equal(idle.pace, 0)
    assert.equal(idle.etaMs, null, 'no pace, no ETA')
    assert.match(progressLine(idle), /pace 0\.0\/s \(max 5\/s\), ETA -/)
  })

  test('all started: the ETA is the typical landing; all settled: 0', () => {
    const r = run(2)
    r.send(1)
    r.send(2)
    r.settle(1, 'moved', 1200)
    r.advance(100)
    assert.equal(r.counter.snapshot().etaMs, 1200)
    // What the line says then: the wait, not a pace falling to 0 and an ETA of 0 s.
    r.advance(10_000)
    assert.match(progressLine(r.counter.snapshot()), /, all sent \(auto\), waiting for 1 to land,/)
    r.settle(2, 'not-moved')
    assert.equal(r.counter.snapshot().etaMs, 0)
  })

  test('the plain line and the bar say the same, the bar within the terminal width', () => {
    const r = run(600)
    for (let n = 0; n < 300; n++) {
      r.send(n)
      if (n < 200) r.settle(n, n % 50 ? 'moved' : 'not-moved', 700)
      r.advance(40)
    }
    const snap = r.counter.snapshot()
    assert.match(progressLine(snap), /^progress: 200\/600 settled, 196 moved, 300 started, 300 acked, pace 25\/s \(auto\), ETA 13s, 12\.0 s elapsed$/)
    for (const columns of [80, 200]) {
      const bar = progressBar(snap, columns)
      assert.ok(bar.length < columns, `${bar.length} >= ${columns}`)
      assert.match(bar, /^\[█+▒+░+\] 200\/600 {2}moved 196 {2}not 4 {2}pace 25\/s \(auto\) {2}ETA 13s$/)
    }
    // Narrow terminals keep the count, the pace and the ETA; then the count and the ETA.
    assert.match(progressBar(snap, 60), /^\[█+▒+░+\] 200\/600 {2}pace 25\/s \(auto\) {2}ETA 13s$/)
    assert.match(progressBar(snap, 40), /^\[█+▒+░+\] 200\/600 {2}ETA 13s$/)
    assert.ok(progressBar(snap, 60).length < 60)
    assert.equal(formatDuration(75_000), '1m15s')
    assert.equal(formatDuration(3_700_000), '1h01m')
  })
})

/** A stream that records what is written, as a terminal of 80 columns or a pipe. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = []
  const stream = {isTTY, columns: 80, rows: 24, write: (chunk: string) => chunks.push(String(chunk)) > 0, on: () => stream, off: () => stream}
  return {stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('')}
}

/** A timer the test fires by hand. */
function manualTimer() {
  const fns: Array<() => void> = []
  let stopped = 0
  return {every: (fn: () => void) => (fns.push(fn), {stop: () => stopped++}), fire: () => fns.forEach((fn) => fn()), stopped: () => stopped}
}

describe('where progress goes', () => {
  test('a pipe: a run that ends before its first move (a refused login) prints no progress line at all', () => {
    const {stream, text} = fakeStream(false)
    const timer = manualTimer()
    const progress = startProgress({total: 1, rate: 'auto', stream, interactive: false, now: () => 0, every: timer.every})
    progress.done()
    assert.equal(text(), '')
  })

  test('a pipe: a plain line each period and one at the end, no escape codes, --verbose lines as they come', () => {
    const {stream, text} = fakeStream(false)
    const timer = manualTimer()
    let now = 0
    const progress = startProgress({total: 3, rate: 10, stream, interactive: false, now: () => now, every: timer.every})
    assert.equal(text(), '', 'nothing before the first period')
    progress.onEvent({type: 'sending', item: item(1), at: 0} satisfies RunEvent)
    now = 5000
    timer.fire()
    progress.log('+5.000s u1@example.test/r  sending packet → node-2')
    progress.onEvent({type: 'settled', record: record(1, 'moved', 300)})
    progress.done()
    progress.done()
    const lines = text().trimEnd().split('\n')
    assert.equal(lines.length, 3)
    assert.match(lines[0], /^progress: 0\/3 settled, 0 moved, 1 started/)
    assert.equal(lines[1], '+5.000s u1@example.test/r  sending packet → node-2')
    assert.match(lines[2], /^progress: 1\/3 settled, 1 moved/)
    // eslint-disable-next-line no-control-regex -- the escape codes are what is checked
    assert.doesNotMatch(text(), /\x1b/)
    assert.equal(timer.stopped(), 1)
  })

  test('a terminal: a bar redrawn in place by log-update, logged lines kept above it, cleared at the end', () => {
    const {stream, text} = fakeStream(true)
    const timer = manualTimer()
    const progress = startProgress({total: 2, rate: 'auto', stream, interactive: true, now: () => 0, every: timer.every})
    assert.match(text(), /\[░+\] 0\/2 {2}moved 0/)
    progress.onEvent({type: 'settled', record: record(1, 'moved', 300)})
    timer.fire()
    assert.match(text(), /\[█+░+\] 1\/2 {2}moved 1/)
    progress.log('a step')
    const afterLog = text()
    assert.ok(afterLog.lastIndexOf('a step') < afterLog.lastIndexOf('1/2'), 'the bar is drawn again below the line')
    // eslint-disable-next-line no-control-regex -- the escape codes are what is checked
    assert.match(afterLog, /\x1b\[\d*K|\x1b\[2K|\x1b\[1A/, 'erases the old bar')
    progress.done()
    assert.equal(timer.stopped(), 1)
  })
})
