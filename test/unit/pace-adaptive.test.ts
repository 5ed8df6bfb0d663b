import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {adaptivePacer} from '../../src/engine/pace/adaptive-pacer.js'
import {fixedPacer} from '../../src/engine/pace/fixed-pacer.js'
import {createPacer} from '../../src/engine/pace/index.js'
import {type Move, type Pacer, PacerStopped} from '../../src/engine/pace/pacer.js'
import {type DrainFigures, type DrainScenario, meanThroughput, mostStartsInOneSecond, secondsToReach, simulateDrain} from '../support/simulate-drain.js'
import {VirtualClock} from '../support/virtual-clock.js'

const auto = simulateAuto()

function simulateAuto(maxRate?: number) {
  return (scenario: DrainScenario) => simulateDrain(scenario, (clock) => adaptivePacer(clock, maxRate === undefined ? {} : {maxRate}))
}

/** The last whole second before the drain's tail (the plan running out is not the pacer's doing). */
function lastFullSecond(figures: DrainFigures): number {
  return Math.floor(figures.drainMs / 1000) - 1
}

describe('adaptivePacer against a simulated cluster', () => {
  test('reaches 90 % of a steady capacity within 4 s and holds it, with no failed login', async () => {
    const figures = await auto({moves: 3000, capacity: 120})
    const reached = secondsToReach(figures, 0, 120, 0.9)
    assert.ok(reached !== null && reached <= 4, `90 % of 120/s after ${reached} s`)
    const held = meanThroughput(figures, 5, lastFullSecond(figures))
    assert.ok(held >= 0.9 * 120, `mean ${held.toFixed(1)}/s from 5 s on`)
    assert.equal(figures.failed, 0)
    assert.ok(figures.drainMs / figures.idealMs <= 1.15, `drain ${(figures.drainMs / figures.idealMs).toFixed(2)} x the ideal`)
  })

  test('a capacity halved mid-run (120 -> 60/s at 10 s): no login fails, the queue is gone within 4 s', async () => {
    const figures = await auto({moves: 3000, capacity: 120, changes: [{at: 10_000, capacity: 60}]})
    assert.equal(figures.failed, 0)
    assert.ok(figures.peakWaitMs < 2_000, `a login waited ${figures.peakWaitMs.toFixed(0)} ms`)
    // 4 s after the drop its queue is gone: from then on, no login waits more than the
    // pace's own probing around the capacity costs (at most ~0.55 s here), a third of the 2 s
    // after which a client gives up…
    const waits = figures.peakWaitPerSecond.slice(14, lastFullSecond(figures))
    assert.ok(Math.max(...waits) <= 650, `waits from 14 s on: ${waits.map((w) => w.toFixed(0))}`)
    // …and the targets are kept busy: at least 85 % of the new capacity lands.
    const after = meanThroughput(figures, 13, lastFullSecond(figures))
    assert.ok(after >= 0.85 * 60, `mean ${after.toFixed(1)}/s after the drop`)
  })

  test('a capacity cut to a sixth (120 -> 20/s at 8 s): failed logins stop within 7 s, then it holds the new capacity', async () => {
    const figures = await auto({moves: 1500, capacity: 120, changes: [{at: 8_000, capacity: 20}]})
    // The moves already queued when it fell are lost whatever the pace does next (at 20/s,
    // 40 queued moves make a 2 s wait): bound how many, and for how long.
    const lastFailure = figures.failedTimes.at(-1) ?? 0
    assert.ok(lastFailure <= 15_000, `failures until ${lastFailure.toFixed(0)} ms`)
    assert.ok(figures.failed <= 0.12 * figures.moves, `${figures.failed} failed`)
    const after = meanThroughput(figures, 18, lastFullSecond(figures))
    assert.ok(after >= 0.8 * 20, `mean ${after.toFixed(1)}/s after the drop`)
  })

  test('a capacity doubled mid-run (60 -> 120/s at 10 s) is followed within 6 s', async () => {
    const figures = await auto({moves: 3000, capacity: 60, changes: [{at: 10_000, capacity: 120}]})
    const followed = secondsToReach(figures, 10, 120, 0.85)
    assert.ok(followed !== null && followed <= 6, `85 % of 120/s ${followed} s after the rise`)
    assert.equal(figures.failed, 0)
  })

  test('slow listings (0.8 s each, a poll every 1.6 s) slow it down, never into failures', async () => {
    const figures = await auto({moves: 3000, capacity: 100, cluster: {listingMs: 800}})
    assert.equal(figures.failed, 0)
    assert.ok(figures.drainMs / figures.idealMs <= 1.3, `drain ${(figures.drainMs / figures.idealMs).toFixed(2)} x the ideal`)
  })

  test('with a maximum it never starts more moves a second, and gets to it', async () => {
    const figures = await simulateAuto(80)({moves: 2000, capacity: 120})
    assert.ok(mostStartsInOneSecond(figures.starts) <= 80, `${mostStartsInOneSecond(figures.starts)} starts in one second`)
    assert.ok(figures.highestRate <= 80)
    assert.ok(figures.history.every((sample) => sample.rate <= 80))
    assert.ok(meanThroughput(figures, 5, lastFullSecond(figures)) >= 0.95 * 80)
    assert.ok(figures.history.some((sample) => sample.reason === 'cap'))
  })

  test('the same seed gives the same run; another seed another one', async () => {
    const scenario: DrainScenario = {moves: 800, capacity: 90, seed: 7, changes: [{at: 4_000, capacity: 45}]}
    const [one, two, other] = await Promise.all([auto(scenario), auto(scenario), auto({...scenario, seed: 8})])
    assert.deepEqual(one.starts, two.starts)
    assert.deepEqual(one.history, two.history)
    assert.notDeepEqual(one.starts, other.starts)
  })

  test('figures (printed, not asserted): drain time against N / capacity, failed logins, peak queue', async () => {
    const scenarios: Array<[string, DrainScenario]> = [
      ['N = 3,000 at 120/s', {moves: 3000, capacity: 120}],
      ['N = 5,000 at 100/s', {moves: 5000, capacity: 100}],
      ['N = 3,000, 120 -> 60/s at 10 s', {moves: 3000, capacity: 120, changes: [{at: 10_000, capacity: 60}]}],
      ['N = 3,000, 60 -> 120/s at 10 s', {moves: 3000, capacity: 60, changes: [{at: 10_000, capacity: 120}]}],
      ['N = 1,500, 120 -> 20/s at 8 s', {moves: 1500, capacity: 120, changes: [{at: 8_000, capacity: 20}]}],
      ['N = 3,000 at 100/s, 0.8 s listings', {moves: 3000, capacity: 100, cluster: {listingMs: 800}}],
      ['N = 2,000 at 90/s, clients 20-200 ms', {moves: 2000, capacity: 90, cluster: {listingMs: 150, clientDelayMs: [20, 200]}}],
    ]
    const lines = [
      '| scenario | pacer | drain (s) | ideal N / capacity (s) | ratio | failed logins | peak queue | longest wait (ms) |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
    ]
    for (const [name, scenario] of scenarios) {
      const runs: Array<[string, DrainFigures]> = [
        ['auto', await auto(scenario)],
        ['fixed 50/s', await simulateDrain(scenario, (clock) => fixedPacer(clock, {rate: 50, concurrency: 10_000}))],
      ]
      for (const [pacer, figures] of runs) {
        const moved = figures.failed === 0 ? (figures.drainMs / 1000).toFixed(1) : `${(figures.drainMs / 1000).toFixed(1)} (${figures.failed} not moved)`
        lines.push(
          `| ${name} | ${pacer} | ${moved} | ${(figures.idealMs / 1000).toFixed(1)} | ${(figures.drainMs / figures.idealMs).toFixed(2)} | ${figures.failed} | ${figures.peakQueue} | ${figures.peakWaitMs.toFixed(0)} |`,
        )
      }
    }
    console.log(lines.join('\n'))
  })
})

describe("adaptivePacer on the ladder's hand-offs (clients that reconnect by themselves)", () => {
  // Each client comes back after its own reconnect delay; the engine reports it `reconnected`.
  const xmppJs = {clientDelayMs: [1000, 1300] as [number, number]}
  const mixed = {clientDelayMs: [300, 3300] as [number, number]}
  const lowest = (figures: DrainFigures) => Math.min(...figures.history.map((sample) => sample.rate))

  test('clients back 1-1.3 s later: from 20/s to 85 % of the capacity (60/s) within 25 s, no failed login', async () => {
    for (const seed of [1, 2]) {
      const figures = await auto({moves: 3000, capacity: 60, handoff: true, seed, cluster: xmppJs})
      const reached = secondsToReach(figures, 0, 60, 0.85)
      assert.ok(reached !== null && reached <= 25, `seed ${seed}: 85 % of 60/s after ${reached} s`)
      assert.equal(figures.failed, 0, `seed ${seed}`)
      assert.ok(figures.peakWaitMs < 2000, `seed ${seed}: a login waited ${figures.peakWaitMs.toFixed(0)} ms`)
      // The pace that ignored them (20/s) took 3 x the ideal.
      assert.ok(figures.drainMs / figures.idealMs <= 1.5, `seed ${seed}: drain ${(figures.drainMs / figures.idealMs).toFixed(2)} x the ideal`)
      // What the report shows: a "raise" never lowers the pace (held to what lands, it is a "hold").
      figures.history.forEach((sample, i) => {
        if (i > 0 && sample.reason === 'raise')
          assert.ok(sample.rate >= figures.history[i - 1]!.rate, `seed ${seed}: a raise from ${figures.history[i - 1]!.rate} to ${sample.rate}`)
      })
    }
  })

  test('delays spread over 0.3-3.3 s are not read as a queue: never under the starting 20/s, faster than it, no failed login', async () => {
    for (const seed of [1, 2]) {
      const figures = await auto({moves: 3000, capacity: 60, handoff: true, seed, cluster: mixed})
      assert.equal(figures.failed, 0, `seed ${seed}`)
      assert.ok(lowest(figures) >= 20, `seed ${seed}: down to ${lowest(figures).toFixed(1)}/s`)
      assert.ok(figures.drainMs / figures.idealMs < 2.9, `seed ${seed}: drain ${(figures.drainMs / figures.idealMs).toFixed(2)} x the ideal (20/s: 3 x)`)
    }
  })

  test('a capacity halved mid-run (60 -> 30/s at 20 s): few failed logins, within 8 s of the drop; then it holds the new capacity', async () => {
    // News of a queue comes a reconnect delay late (packet moves: a poll late): the logins queued
    // meanwhile may wait past the 2 s a client gives a step. Bounded here; they reconnect again.
    for (const seed of [1, 2]) {
      const figures = await auto({moves: 3000, capacity: 60, handoff: true, seed, cluster: xmppJs, changes: [{at: 20_000, capacity: 30}]})
      assert.ok(figures.failed <= 0.05 * figures.moves, `seed ${seed}: ${figures.failed} failed`)
      const lastFailure = figures.failedTimes.at(-1) ?? 0
      assert.ok(lastFailure <= 28_000, `seed ${seed}: failures until ${lastFailure.toFixed(0)} ms`)
      const after = meanThroughput(figures, 35, lastFullSecond(figures))
      assert.ok(after >= 0.8 * 30, `seed ${seed}: mean ${after.toFixed(1)}/s after the drop`)
    }
  })

  test('packet moves, when they are most of what lands, keep the pace they alone would give', async () => {
    const alone = await auto({moves: 1500, capacity: 120})
    // Every 50th move, a hand-off reported back 3 s after it left: no effect while packets lead.
    const figures = await simulateDrain({moves: 1500, capacity: 120}, (clock) => {
      const inner = adaptivePacer(clock)
      let started = 0
      return Object.assign(Object.create(inner) as Pacer, {
        acquire: async () => {
          const move = await inner.acquire()
          if (++started % 50 === 0) inner.observe({kind: 'reconnected', handedOffAt: clock.now() - 3000, seenAt: clock.now()})
          return move
        },
      })
    })
    assert.equal(figures.failed, 0)
    assert.ok(Math.abs(figures.drainMs - alone.drainMs) <= 0.05 * alone.drainMs, `${figures.drainMs} ms against ${alone.drainMs} ms alone`)
  })
})

describe('adaptivePacer, signals one by one', () => {
  /** Starts `count` moves as fast as the pacer allows and returns them unsettled. */
  async function startMoves(clock: VirtualClock, pacer: ReturnType<typeof adaptivePacer>, count: number): Promise<Move[]> {
    const moves: Move[] = []
    for (let i = 0; i < count; i++) moves.push(await clock.run(pacer.acquire()))
    return moves
  }

  test('starts low: 20 moves a second until tracking has said anything', async () => {
    const clock = new VirtualClock()
    const pacer = adaptivePacer(clock)
    const moves = await startMoves(clock, pacer, 21)
    assert.equal(pacer.rate, 20)
    assert.ok(Math.abs(moves.at(-1)!.startedAt - 1000) < 1e-6, `the 21st started at ${moves.at(-1)!.startedAt}`)
  })

  test('a failed move halves the pace at once', async () => {
    const clock = new VirtualClock()
    const pacer = adaptivePacer(clock, {initialRate: 40})
    const moves = await startMoves(clock, pacer, 20)
    await clock.advance(300)
    moves[0]!.settle({kind: 'failed'})
    assert.equal(pacer.rate, 20)
    assert.equal(pacer.history.at(-1)!.reason, 'loss')
  })

  test('failed logins reported outside a move halve it too; refusals and unobserved moves do not', async () => {
    const clock = new VirtualClock()
    const pacer = adaptivePacer(clock, {initialRate: 40})
    const moves = await startMoves(clock, pacer, 20)
    await clock.advance(300)
    moves[0]!.settle({kind: 'refused'})
    moves[1]!.settle({kind: 'unobserved'})
    assert.equal(pacer.rate, 40)
    await clock.advance(300)
    pacer.observe({kind: 'failed-logins', count: 3})
    assert.equal(pacer.rate, 20)
    // More reports within the round trip after that cut tell of the same overload.
    pacer.observe({kind: 'failed-logins', count: 1})
    await clock.advance(300)
    pacer.observe({kind: 'failed-logins', count: 1})
    assert.equal(pacer.rate, 20)
    await clock.advance(1_000)
    pacer.observe({kind: 'failed-logins', count: 1})
    assert.equal(pacer.rate, 10)
  })

  test('a move never seen is written off as lost: its slot is freed and the pace halved, once', async () => {
    const clock = new VirtualClock()
    const pacer = adaptivePacer(clock, {initialRate: 10, lateSlackMs: 2000})
    const started: Move[] = []
    // The engine keeps asking while its plan lasts; none of these moves is ever seen.
    const asking = (async () => {
      for (;;) started.push(await pacer.acquire())
    })().catch((error: unknown) => assert.ok(error instanceof PacerStopped))
    await clock.advance(3_950)
    assert.equal(pacer.rate, 10)
    assert.equal(pacer.inFlight, started.length)
    // With no latency known yet, "late" is 1 s + 1 s + the 2 s slack after the start.
    await clock.advance(100)
    assert.equal(pacer.history.at(-1)!.reason, 'loss')
    assert.equal(pacer.rate, 5)
    assert.equal(pacer.inFlight, started.length - 1)
    // The next ones are late too, but started before that cut: no second halving for them.
    await clock.advance(500)
    assert.equal(pacer.rate, 5)
    pacer.stop()
    await asking
  })

  test('stop rejects the moves waiting for their slot', async () => {
    const clock = new VirtualClock()
    const pacer = adaptivePacer(clock)
    await startMoves(clock, pacer, 1)
    const waiting = pacer.acquire()
    pacer.stop()
    await assert.rejects(waiting, PacerStopped)
    await assert.rejects(pacer.acquire(), PacerStopped)
  })

  test('a maximum of 0 or less is refused', () => {
    assert.throws(() => adaptivePacer(new VirtualClock(), {maxRate: 0}), RangeError)
  })
})

describe('createPacer', () => {
  test('a number makes a fixed pacer, auto an adaptive one whose unset maximum keeps its default', async () => {
    const clock = new VirtualClock()
    const fixed = createPacer({kind: 'fixed', rate: 50, concurrency: 100}, clock)
    assert.equal(fixed.rate, 50)
    assert.equal(fixed.history[0]!.window, 100)
    const auto = createPacer({kind: 'auto', maxRate: undefined}, clock)
    assert.equal(auto.rate, 20)
    const capped = createPacer({kind: 'auto', maxRate: 5}, clock)
    assert.equal(capped.rate, 5)
  })
})
