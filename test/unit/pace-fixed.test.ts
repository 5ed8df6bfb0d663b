import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {fixedPacer} from '../../src/engine/pace/fixed-pacer.js'
import {type Governor, pacedGate} from '../../src/engine/pace/paced-gate.js'
import {type Move, type Pacer, PacerStopped} from '../../src/engine/pace/pacer.js'
import {seededRandom} from '../support/seeded-random.js'
import {VirtualClock} from '../support/virtual-clock.js'

/** Float slack of the virtual clock's sums (ms). */
const SLACK = 1e-6

interface Trace {
  starts: number[]
  mostInFlight: number
}

/** The engine's shape: every move asks at once, starts when allowed, and settles `durationMs()` later. */
async function runMoves(clock: VirtualClock, pacer: Pacer, count: number, durationMs: () => number): Promise<Trace> {
  const trace: Trace = {starts: [], mostInFlight: 0}
  const moves = Array.from({length: count}, async () => {
    const move = await pacer.acquire()
    trace.starts.push(clock.now())
    trace.mostInFlight = Math.max(trace.mostInFlight, pacer.inFlight)
    await clock.sleep(durationMs())
    move.settle({kind: 'landed'})
  })
  await clock.run(Promise.all(moves))
  return trace
}

function gaps(starts: number[]): number[] {
  return starts.slice(1).map((at, i) => at - starts[i]!)
}

describe('fixedPacer', () => {
  for (const [rate, count] of [
    [50, 200],
    [1, 5],
    [7.3, 40],
    [1000, 500],
    [130, 2_000],
  ] as const) {
    test(`${count} moves at ${rate}/s take (N - 1) / R s, never two closer than 1 / R`, async () => {
      const clock = new VirtualClock(5_000)
      const pacer = fixedPacer(clock, {rate, concurrency: 10_000})
      const {starts} = await runMoves(clock, pacer, count, () => 40)
      assert.equal(starts.length, count)
      assert.equal(starts[0], 5_000, 'the first move starts at once')
      const took = starts.at(-1)! - starts[0]!
      assert.ok(Math.abs(took - ((count - 1) / rate) * 1000) < SLACK, `took ${took} ms`)
      const closest = Math.min(...gaps(starts))
      assert.ok(closest >= 1000 / rate - SLACK, `two starts ${closest} ms apart`)
    })
  }

  test('never more than the cap in flight, and the cap is reached when moves are slow', async () => {
    const clock = new VirtualClock()
    const random = seededRandom(7)
    const pacer = fixedPacer(clock, {rate: 1000, concurrency: 5})
    const {starts, mostInFlight} = await runMoves(clock, pacer, 300, () => 10 + random() * 190)
    assert.equal(starts.length, 300)
    assert.equal(mostInFlight, 5)
    assert.ok(Math.min(...gaps(starts)) >= 1 - SLACK)
    // Held by the cap, not the rate: about 300 moves / 5 slots x 105 ms each.
    assert.ok(starts.at(-1)! > 4_000, `ended at ${starts.at(-1)} ms`)
  })

  test('a timer that wakes up to 1 ms late does not slow the pace, nor squeeze two starts together', async () => {
    const clock = new VirtualClock()
    const random = seededRandom(3)
    // Like setTimeout: every sleep ends 0-1 ms after it was due.
    const lateClock = {now: () => clock.now(), sleep: (ms: number) => clock.sleep(ms + random())}
    const pacer = fixedPacer(lateClock, {rate: 100, concurrency: 1_000})
    const {starts} = await runMoves(clock, pacer, 1_000, () => 30)
    const took = starts.at(-1)! - starts[0]!
    assert.ok(took <= 9_990 + 1, `1,000 moves at 100/s took ${took} ms`)
    assert.ok(Math.min(...gaps(starts)) >= 9, `two starts ${Math.min(...gaps(starts))} ms apart`)
  })

  test('after an idle spell it does not catch up with a burst', async () => {
    const clock = new VirtualClock()
    const pacer = fixedPacer(clock, {rate: 10, concurrency: 100})
    const first = await clock.run(pacer.acquire())
    first.settle({kind: 'landed'})
    await clock.advance(5_000)
    const {starts} = await runMoves(clock, pacer, 3, () => 1)
    assert.deepEqual(starts, [5_000, 5_100, 5_200])
  })

  test('moves start in the order they asked', async () => {
    const clock = new VirtualClock()
    const pacer = fixedPacer(clock, {rate: 100, concurrency: 2})
    const order: number[] = []
    const all = [0, 1, 2, 3, 4, 5].map(async (i) => {
      const move = await pacer.acquire()
      order.push(i)
      await clock.sleep(i % 2 === 0 ? 50 : 5)
      move.settle({kind: 'landed'})
    })
    await clock.run(Promise.all(all))
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5])
  })

  test('a settled move frees its slot once, however often it is settled', async () => {
    const clock = new VirtualClock()
    const pacer = fixedPacer(clock, {rate: 1000, concurrency: 2})
    const a = await clock.run(pacer.acquire())
    const b = await clock.run(pacer.acquire())
    a.settle({kind: 'landed'})
    a.settle({kind: 'failed'})
    assert.equal(pacer.inFlight, 1)
    const c = await clock.run(pacer.acquire())
    assert.equal(pacer.inFlight, 2)
    let fourth: Move | null = null
    void pacer.acquire().then((move) => (fourth = move))
    await clock.advance(1_000)
    assert.equal(fourth, null, 'b and c still hold both slots')
    b.settle({kind: 'refused'})
    await clock.advance(1)
    assert.notEqual(fourth, null)
    c.settle({kind: 'unobserved'})
  })

  test('stop rejects the waiting moves and every later one', async () => {
    const clock = new VirtualClock()
    const pacer = fixedPacer(clock, {rate: 1, concurrency: 10})
    const first = await clock.run(pacer.acquire())
    const waiting = [pacer.acquire(), pacer.acquire()]
    await clock.advance(500)
    pacer.stop()
    for (const move of waiting) await assert.rejects(move, PacerStopped)
    await assert.rejects(pacer.acquire(), PacerStopped)
    first.settle({kind: 'landed'})
    assert.equal(pacer.inFlight, 0)
  })

  test('history says the fixed pace, and nonsense is refused', () => {
    const clock = new VirtualClock(42)
    const pacer = fixedPacer(clock, {rate: 50, concurrency: 100})
    assert.equal(pacer.rate, 50)
    assert.deepEqual(pacer.history, [{at: 42, rate: 50, window: 100, inFlight: 0, latencyMs: null, baseMs: null, reason: 'start'}])
    assert.throws(() => fixedPacer(clock, {rate: 0, concurrency: 1}), RangeError)
    assert.throws(() => fixedPacer(clock, {rate: Infinity, concurrency: 1}), RangeError)
    assert.throws(() => fixedPacer(clock, {rate: 5, concurrency: 0}), RangeError)
  })
})

describe('pacedGate', () => {
  function governor(lateAfterMs: number) {
    const lateIds: number[] = []
    const settled: Array<[number, string]> = []
    const value: Governor = {
      rate: 1000,
      slotRate: 1000,
      window: 1,
      lateAfterMs,
      history: [],
      started() {},
      settled(move, end) {
        settled.push([move.id, end.kind])
      },
      late(move) {
        lateIds.push(move.id)
      },
      observe() {},
    }
    return {value, lateIds, settled}
  }

  test('a move unsettled past lateAfterMs frees its slot once; its late settle still reaches the governor', async () => {
    // Floats for which (start + late) - start < late: the write-off and the pump's sleep must
    // agree on the instant, or the pump wakes there forever without writing the move off.
    const clock = new VirtualClock(3450.112423603141)
    const {value, lateIds, settled} = governor(2169.434604434448)
    const pacer = pacedGate(clock, value)
    const stuck = await clock.run(pacer.acquire())
    const next = await clock.run(pacer.acquire(), {limitMs: 10_000})
    assert.ok(Math.abs(next.startedAt - (stuck.startedAt + 2169.434604434448)) < SLACK, `started at ${next.startedAt}`)
    assert.deepEqual(lateIds, [1])
    assert.equal(pacer.inFlight, 1, 'only the second holds a slot')
    stuck.settle({kind: 'landed'})
    assert.equal(pacer.inFlight, 1, 'a written-off move does not free a second slot')
    assert.deepEqual(settled, [[1, 'landed']])
    next.settle({kind: 'landed'})
    assert.equal(pacer.inFlight, 0)
  })
})
