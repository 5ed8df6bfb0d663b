/**
 * `npm run bench:pace`: drains simulated clusters (test/support/simulated-cluster.ts, on the
 * virtual clock, no servers) with `--rate auto` and the controllers it was chosen against,
 * and prints per scenario the drain time against the ideal N / capacity, failed logins and
 * the longest login wait. Seeded: the same figures on every run. Figures to read, not
 * thresholds; the assertions are in test/unit/pace-adaptive.test.ts.
 */
import {adaptivePacer} from '../src/engine/pace/adaptive-pacer.js'
import {fixedPacer} from '../src/engine/pace/fixed-pacer.js'
import type {Pacer} from '../src/engine/pace/pacer.js'
import type {Clock} from '../src/model/clock.js'
import {type DrainScenario, secondsToReach, simulateDrain} from '../test/support/simulate-drain.js'
import {lossOnlyPacer, windowGradientPacer} from './pace-alternatives.js'

const SCENARIOS: Record<string, DrainScenario> = {
  '120/s': {moves: 3000, capacity: 120},
  '120 -> 60/s at 10 s': {moves: 3000, capacity: 120, changes: [{at: 10_000, capacity: 60}]},
  '60 -> 120/s at 10 s': {moves: 3000, capacity: 60, changes: [{at: 10_000, capacity: 120}]},
  '100/s, 0.8 s listings': {moves: 3000, capacity: 100, cluster: {listingMs: 800}},
  '90/s, clients 20-200 ms': {moves: 2000, capacity: 90, cluster: {listingMs: 150, clientDelayMs: [20, 200]}},
  'hand-offs, 60/s, back in 1-1.3 s': {moves: 3000, capacity: 60, handoff: true, cluster: {clientDelayMs: [1000, 1300]}},
  'hand-offs, 60/s, back in 0.3-3.3 s': {moves: 3000, capacity: 60, handoff: true, cluster: {clientDelayMs: [300, 3300]}},
}

const SEEDS = [1, 2, 3]

const CONTROLLERS: Record<string, (clock: Clock, scenario: DrainScenario) => Pacer> = {
  auto: (clock) => adaptivePacer(clock),
  'window gradient': (clock) => windowGradientPacer(clock),
  'loss only (AIMD)': (clock) => lossOnlyPacer(clock),
  'fixed 50/s (today)': (clock) => fixedPacer(clock, {rate: 50, concurrency: 10_000}),
  'fixed 20/s (auto before hand-offs taught it)': (clock) => fixedPacer(clock, {rate: 20, concurrency: 10_000}),
  'fixed 0.9 x capacity': (clock, scenario) => fixedPacer(clock, {rate: 0.9 * scenario.capacity, concurrency: 10_000}),
}

/** Seconds after `fromS` until no login waited more than `ms` again. */
function queueGoneAfter(waits: number[], fromS: number, ms: number): number {
  let last = fromS
  for (let s = fromS; s < waits.length; s++) if (waits[s]! > ms) last = s + 1
  return last - fromS
}

const rows: string[][] = []
for (const [controller, make] of Object.entries(CONTROLLERS)) {
  let ratioSum = 0
  let complete = 0
  let failedAll = 0
  let worstWait = 0
  const cells: string[] = []
  for (const scenario of Object.values(SCENARIOS)) {
    const ratios: number[] = []
    let failed = 0
    const after: string[] = []
    for (const seed of SEEDS) {
      const figures = await simulateDrain({...scenario, seed}, (clock) => make(clock, scenario))
      failed += figures.failed
      worstWait = Math.max(worstWait, figures.peakWaitMs)
      // A drain with failed logins did not move everybody: its time is not comparable.
      if (figures.failed === 0) ratios.push(figures.drainMs / figures.idealMs)
      const change = scenario.changes?.[0]
      if (change && change.capacity > scenario.capacity) after.push(`${secondsToReach(figures, change.at / 1000, change.capacity, 0.85) ?? '-'}`)
      if (change && change.capacity < scenario.capacity) after.push(`${queueGoneAfter(figures.peakWaitPerSecond, change.at / 1000, 750)}`)
    }
    ratioSum += ratios.reduce((sum, ratio) => sum + ratio, 0)
    complete += ratios.length
    failedAll += failed
    const mean = ratios.length > 0 ? `${(ratios.reduce((sum, ratio) => sum + ratio, 0) / ratios.length).toFixed(2)} x` : '-'
    const change = scenario.changes?.[0]
    const follow = !change
      ? ''
      : change.capacity > scenario.capacity
        ? `; 85 % of it after ${after.join('/')} s`
        : `; waits < 0.75 s after ${after.join('/')} s`
    cells.push(`${mean}${failed > 0 ? `, ${failed} failed` : ''}${follow}`)
  }
  const mean = complete > 0 ? `${(ratioSum / complete).toFixed(2)} x over ${complete} complete drains` : 'no complete drain'
  rows.push([controller, ...cells, `${mean}; ${failedAll} failed; wait <= ${(worstWait / 1000).toFixed(1)} s`])
}

const header = ['controller', ...Object.keys(SCENARIOS), 'all']
console.log(`Drain time (first start to last bind) / (N / capacity), mean of the drains that moved everybody (seeds ${SEEDS.join(', ')});`)
console.log(
  'failed logins (waited > 2 s); after a capacity change: seconds until 85 % of a higher one lands, or until no login waits > 0.75 s again; longest login wait.\n',
)
console.log(`| ${header.join(' | ')} |`)
console.log(`|${header.map(() => '---').join('|')}|`)
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
