import type {Clock} from '../../model/clock.js'
import {adaptivePacer} from './adaptive-pacer.js'
import {fixedPacer} from './fixed-pacer.js'
import type {Pacer} from './pacer.js'

export {type AdaptivePace, adaptivePacer} from './adaptive-pacer.js'
export {type FixedPace, fixedPacer} from './fixed-pacer.js'
export {type Move, type MoveEnd, type Pacer, type PaceReason, type PaceSample, type PaceSignal, PacerStopped} from './pacer.js'

/** What `--rate` asks for: a number, or `auto` (with an optional maximum). */
export type PaceSetting = {kind: 'fixed'; rate: number; concurrency: number} | {kind: 'auto'; maxRate?: number; maxInFlight?: number}

/**
 * The pacer a run awaits before each move. How the engine feeds it:
 *
 *   const move = await pacer.acquire()          // PacerStopped once stopped: the item is unsent
 *   send the packet / handover / redirect / close
 *   refused by the client                      -> move.settle({kind: 'refused'})
 *   the server took a handover / redirect / close -> move.settle({kind: 'handed-off'})
 *   … and its client seen back by a poll that began at t
 *                                               -> pacer.observe({kind: 'reconnected', handedOffAt, seenAt: t})
 *   sent as the domain, not tracked             -> move.settle({kind: 'unobserved'})
 *   seen on another node by a poll that began at t -> move.settle({kind: 'landed', at: t})
 *   --wait over: offline, or still on its source -> move.settle({kind: 'failed'})
 *   the run stopped before any of that          -> move.settle({kind: 'unobserved'})
 *   a failed login learnt otherwise             -> pacer.observe({kind: 'failed-logins', count})
 *   Ctrl-C / a fatal error                      -> pacer.stop()
 *
 * Settle every move exactly once, and every move of one poll with the same `at`, in one
 * synchronous loop (as the watcher's poll() does): the adaptive pacer reads a poll as a batch.
 */
export function createPacer(setting: PaceSetting, clock: Clock): Pacer {
  return setting.kind === 'fixed'
    ? fixedPacer(clock, {rate: setting.rate, concurrency: setting.concurrency})
    : adaptivePacer(clock, {maxRate: setting.maxRate, maxInFlight: setting.maxInFlight})
}
