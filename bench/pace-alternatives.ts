/**
 * The controllers `--rate auto` was chosen against (bench/pace-compare.ts), on the same gate
 * and the same signals. Kept so the comparison can be rerun; not used by the CLI.
 */
import {MoveLatencies} from '../src/engine/pace/move-latencies.js'
import {type Governor, type InFlightView, type MoveState, pacedGate} from '../src/engine/pace/paced-gate.js'
import type {MoveEnd, Pacer, PaceReason, PaceSample} from '../src/engine/pace/pacer.js'
import type {Clock} from '../src/model/clock.js'

/** A governor whose figures its own update() sets. */
type Steered = {-readonly [K in keyof Governor]: Governor[K]} & {update(now: number, inFlight: InFlightView): void}

const WINDOWS = {recentMs: 500, baseWindowMs: 30_000, deliveryWindowMs: 500, maxDeliveryWindowMs: 5000}
const TARGET_MS = 150

/**
 * A concurrency window (TCP Vegas / Netflix concurrency-limits' gradient): +1 a landing
 * until the first queue, then window x (base + target) / latency when the queue passes the
 * target, x1.05 a step while under half of it. Starts are spaced at 1.5 x window / latency.
 */
export function windowGradientPacer(clock: Clock): Pacer {
  const latencies = new MoveLatencies(WINDOWS)
  const history: PaceSample[] = []
  let w = 4
  let slowStart = true
  let lastStep = clock.now()
  let lastCut = -Infinity
  let full = false
  let loss = false
  let latency: number | null = null
  const governor: Steered = {
    rate: 0,
    slotRate: 0,
    window: 4,
    history,
    get lateAfterMs() {
      return (latencies.base ?? 1000) + (latencies.unseenForMs ?? 1000) + 2000
    },
    started(_move: MoveState, now: number, inFlight: InFlightView) {
      if (inFlight.count >= governor.window) full = true
      governor.update(now, inFlight)
    },
    settled(move: MoveState, end: MoveEnd, now: number, inFlight: InFlightView) {
      if (end.kind === 'landed') {
        latencies.add(move.startedAt, end.at ?? now, now)
        if (slowStart) w += 1
      } else if (end.kind === 'failed' && move.startedAt >= lastCut) {
        loss = true
      }
      governor.update(now, inFlight)
    },
    late(move: MoveState, now: number, inFlight: InFlightView) {
      if (move.startedAt >= lastCut) loss = true
      governor.update(now, inFlight)
    },
    observe() {},
    update(now: number, inFlight: InFlightView) {
      if (now - lastStep >= 250) {
        const current = latencies.current(now, lastCut)
        const base = latencies.base
        let reason: PaceReason = 'hold'
        if (loss) {
          w = Math.max(2, w / 2)
          slowStart = false
          lastCut = now
          reason = 'loss'
        } else if (current !== null && base !== null && current - base > TARGET_MS) {
          w = Math.max(2, w * Math.max(0.5, (base + TARGET_MS) / current))
          slowStart = false
          lastCut = now
          reason = 'queue'
        } else if (current !== null && base !== null && current - base < TARGET_MS / 2 && (full || inFlight.count >= governor.window - 1)) {
          if (!slowStart) w *= 1.05
          reason = 'raise'
        }
        if (current !== null) latency = current
        lastStep = now
        full = false
        loss = false
        history.push({at: now, rate: governor.rate, window: governor.window, inFlight: inFlight.count, latencyMs: latency, baseMs: base, reason})
      }
      governor.window = Math.max(2, Math.floor(w))
      const seen = (latency ?? 500) + (latencies.unseenForMs ?? 500) / 2
      governor.rate = (governor.window * 1000) / seen
      governor.slotRate = 1.5 * governor.rate
    },
  }
  governor.update(clock.now(), {count: 0, oldestStartedAt: null})
  return pacedGate(clock, governor)
}

/**
 * Loss only (AIMD, as TCP Reno without its delay): double every second until the first
 * failed or late move, then +5 % of the pace a second, halve on each loss (once per second).
 */
export function lossOnlyPacer(clock: Clock): Pacer {
  const latencies = new MoveLatencies(WINDOWS)
  const history: PaceSample[] = []
  let slowStart = true
  let lastStep = clock.now()
  let lastCut = -Infinity
  let loss = false
  const governor: Steered = {
    rate: 20,
    slotRate: 20,
    window: 10_000,
    history,
    get lateAfterMs() {
      return (latencies.base ?? 1000) + (latencies.unseenForMs ?? 1000) + 2000
    },
    started(_move: MoveState, now: number, inFlight: InFlightView) {
      governor.update(now, inFlight)
    },
    settled(move: MoveState, end: MoveEnd, now: number, inFlight: InFlightView) {
      if (end.kind === 'landed') latencies.add(move.startedAt, end.at ?? now, now)
      else if (end.kind === 'failed' && move.startedAt >= lastCut) loss = true
      governor.update(now, inFlight)
    },
    late(move: MoveState, now: number, inFlight: InFlightView) {
      if (move.startedAt >= lastCut) loss = true
      governor.update(now, inFlight)
    },
    observe() {},
    update(now: number, inFlight: InFlightView) {
      const dt = now - lastStep
      if (dt < 250) return
      let reason: PaceReason = 'raise'
      if (loss && now - lastCut >= 1000) {
        governor.rate = Math.max(1, governor.rate / 2)
        slowStart = false
        lastCut = now
        reason = 'loss'
      } else {
        governor.rate *= slowStart ? 2 ** (dt / 1000) : 1 + (0.05 * dt) / 1000
      }
      governor.slotRate = governor.rate
      lastStep = now
      loss = false
      history.push({at: now, rate: governor.rate, window: governor.window, inFlight: inFlight.count, latencyMs: null, baseMs: latencies.base, reason})
    },
  }
  return pacedGate(clock, governor)
}
