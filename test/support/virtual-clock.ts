import type {Clock} from '../../src/model/clock.js'

/**
 * A Clock on virtual time for tests of code that sleeps in several places at once (a
 * pace, a poll loop): sleeps wake in the order of their deadlines, one per macrotask,
 * and time jumps to each deadline as it wakes. Unlike a clock that advances by every
 * sleep (test/unit/fake-clock.ts), concurrent sleeps do not add up.
 */
export function virtualClock(start = 1_000_000): Clock {
  let now = start
  let order = 0
  let scheduled = false
  const sleepers: Array<{at: number; order: number; wake: () => void}> = []
  function wakeNext(): void {
    scheduled = false
    sleepers.sort((a, b) => a.at - b.at || a.order - b.order)
    const next = sleepers.shift()
    if (!next) return
    now = Math.max(now, next.at)
    next.wake()
    schedule()
  }
  function schedule(): void {
    if (scheduled || sleepers.length === 0) return
    scheduled = true
    // After whatever is runnable now (the woken code's microtasks, other immediates).
    setImmediate(wakeNext)
  }
  return {
    now: () => now,
    sleep: (ms) =>
      new Promise<void>((wake) => {
        sleepers.push({at: now + Math.max(0, ms), order: order++, wake})
        schedule()
      }),
  }
}
