import type {Clock} from '../../model/clock.js'
import {type Governor, pacedGate} from './paced-gate.js'
import type {Pacer, PaceSample} from './pacer.js'

export interface FixedPace {
  /** Moves per second (`--rate N`). */
  rate: number
  /** Moves in flight at once (`--concurrency`). */
  concurrency: number
}

/**
 * `--rate N`: exactly N moves a second on the run's clock, never two closer than 1/N s,
 * and at most `concurrency` started and not yet settled. It ignores feedback: the
 * operator chose the pace. Replaces p-throttle (real timers, untestable) and p-limit.
 */
export function fixedPacer(clock: Clock, {rate, concurrency}: FixedPace): Pacer {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number of moves per second, not ${rate}`)
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, not ${concurrency}`)
  const window = Math.floor(concurrency)
  const history: PaceSample[] = [{at: clock.now(), rate, window, inFlight: 0, latencyMs: null, baseMs: null, reason: 'start'}]
  const governor: Governor = {
    rate,
    slotRate: rate,
    window,
    lateAfterMs: Infinity,
    history,
    started() {},
    settled() {},
    late() {},
    observe() {},
  }
  return pacedGate(clock, governor)
}
