import type {Clock} from '../../model/clock.js'
import {type Move, type MoveEnd, type Pacer, type PaceSample, type PaceSignal, PacerStopped} from './pacer.js'

/** A started move as the gate and its governor see it. */
export interface MoveState {
  readonly id: number
  readonly startedAt: number
  /** Settled by the engine. */
  settled: boolean
  /** Written off: unsettled past `lateAfterMs`, it no longer holds a slot. */
  late: boolean
}

/** What is in flight when a governor decides. */
export interface InFlightView {
  /** Moves holding a slot. */
  readonly count: number
  /** Start time of the oldest one, or null. */
  readonly oldestStartedAt: number | null
}

/** Decides the pace; the gate enforces it. Every call gets the clock's `now`. */
export interface Governor {
  /** Moves per second it aims at (what the progress line shows). */
  readonly rate: number
  /** Moves per second the gate spaces starts by: `rate`, or more when a window does the limiting. */
  readonly slotRate: number
  /** Moves that may hold a slot at once. */
  readonly window: number
  /** A move unsettled this long is presumed lost and frees its slot (Infinity: never). */
  readonly lateAfterMs: number
  readonly history: readonly PaceSample[]
  started(move: MoveState, now: number, inFlight: InFlightView): void
  settled(move: MoveState, end: MoveEnd, now: number, inFlight: InFlightView): void
  late(move: MoveState, now: number, inFlight: InFlightView): void
  observe(signal: PaceSignal, now: number, inFlight: InFlightView): void
}

/** Float slack when comparing a woken clock's time with a slot's: sleep(due - now) may land 1 ulp short. */
const EPSILON_MS = 1e-6

interface Waiter {
  resolve: (move: Move) => void
  reject: (error: Error) => void
}

/**
 * The mechanism both pacers share: a FIFO of waiting moves released one slot interval
 * (1000 / rate ms) apart and only while fewer than `window` hold a slot. Slots are laid
 * on a grid, so N moves at a steady rate R take exactly (N - 1) / R s on a clock that
 * wakes on time, and two starts are never closer than 1 / R (on a real timer, closer by
 * at most its lateness, under half a slot). A start that came late (window full, nobody
 * waiting) begins a new grid instead of catching up. At most one clock sleep is pending
 * per wake-up, whatever the number of waiters.
 */
export function pacedGate(clock: Clock, governor: Governor): Pacer {
  const waiters: Waiter[] = []
  let head = 0
  const holding = new Map<number, MoveState>()
  let nextId = 1
  let stopped = false
  let pumping = false
  let wake: (() => void) | null = null
  /** What the pump sleeps for: a settle only matters to a full window, or when it changed the rate. */
  let blocked: {on: 'window'} | {on: 'slot'; rate: number} | null = null
  let anchor: number | null = null
  let onGrid = 0
  let interval = 0
  let lastStart = -Infinity

  const inFlight: InFlightView = {
    get count() {
      return holding.size
    },
    get oldestStartedAt() {
      for (const move of holding.values()) return move.startedAt
      return null
    },
  }

  function waiting(): number {
    return waiters.length - head
  }

  function nextWaiter(): Waiter {
    const waiter = waiters[head]!
    waiters[head++] = undefined as unknown as Waiter
    // Drop the released prefix now and then: O(1) amortised, and a 10^6-move plan does not keep 10^6 holes.
    if (head > 1024 && head * 2 > waiters.length) {
      waiters.splice(0, head)
      head = 0
    }
    return waiter
  }

  function nudge(): void {
    const pending = wake
    wake = null
    blocked = null
    pending?.()
  }

  /** Wakes the pump early only when waiting longer would be wrong; every early wake leaves one stale clock timer. */
  function nudgeIfChanged(): void {
    if (blocked?.on === 'window' || (blocked?.on === 'slot' && blocked.rate !== governor.slotRate)) nudge()
  }

  async function sleepOrNudge(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      wake = resolve
      if (Number.isFinite(ms)) void clock.sleep(ms).then(resolve)
    })
    wake = null
    blocked = null
  }

  function dueAt(): number {
    const current = 1000 / governor.slotRate
    if (anchor === null) return -Infinity
    if (current !== interval) {
      // A new pace counts from the last start: faster at once, slower from there on.
      anchor = lastStart
      onGrid = 0
      interval = current
    }
    return anchor + (onGrid + 1) * interval
  }

  function writeOffLate(now: number): void {
    for (const move of holding.values()) {
      // The same sum as the pump's sleep, or a 1-ulp difference spins at one instant.
      if (now + EPSILON_MS < move.startedAt + governor.lateAfterMs) break
      holding.delete(move.id)
      move.late = true
      governor.late(move, now, inFlight)
    }
  }

  function start(now: number, due: number): void {
    // A real timer wakes a millisecond or two late: absorbed on the grid while under half a
    // slot, or --rate 100 would run at ~90/s; later than that (full window, nobody waiting)
    // is a new grid, never a catch-up burst.
    if (anchor === null || now > due + interval / 2) {
      anchor = now
      onGrid = 0
      interval = 1000 / governor.slotRate
    } else {
      onGrid += 1
    }
    lastStart = now
    const state: MoveState = {id: nextId++, startedAt: now, settled: false, late: false}
    holding.set(state.id, state)
    governor.started(state, now, inFlight)
    const move: Move = {
      id: state.id,
      startedAt: now,
      settle(end: MoveEnd) {
        if (state.settled) return
        state.settled = true
        holding.delete(state.id)
        governor.settled(state, end, clock.now(), inFlight)
        nudgeIfChanged()
      },
    }
    nextWaiter().resolve(move)
  }

  async function pump(): Promise<void> {
    if (pumping) return
    pumping = true
    try {
      while (!stopped && waiting() > 0) {
        const now = clock.now()
        writeOffLate(now)
        if (holding.size >= governor.window) {
          const oldest = inFlight.oldestStartedAt!
          blocked = {on: 'window'}
          await sleepOrNudge(oldest + governor.lateAfterMs - now)
          continue
        }
        const due = dueAt()
        if (now + EPSILON_MS < due) {
          blocked = {on: 'slot', rate: governor.slotRate}
          await sleepOrNudge(due - now)
          continue
        }
        start(now, due)
      }
    } finally {
      pumping = false
    }
  }

  return {
    acquire() {
      if (stopped) return Promise.reject(new PacerStopped())
      const granted = new Promise<Move>((resolve, reject) => waiters.push({resolve, reject}))
      void pump()
      return granted
    },
    observe(signal: PaceSignal) {
      governor.observe(signal, clock.now(), inFlight)
      nudgeIfChanged()
    },
    get rate() {
      return governor.rate
    },
    get inFlight() {
      return holding.size
    },
    get history() {
      return governor.history
    },
    stop() {
      if (stopped) return
      stopped = true
      while (waiting() > 0) nextWaiter().reject(new PacerStopped())
      nudge()
    },
  }
}
