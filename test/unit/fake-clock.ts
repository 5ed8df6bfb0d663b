import type {Clock} from '../../src/model/clock.js'

/** A clock that only moves when sleeping: each sleep advances it and yields to pending work. */
export function fakeClock(start = 1_000_000): Clock & {advance(ms: number): void} {
  let now = start
  return {
    now: () => now,
    async sleep(ms: number) {
      now += ms
      await new Promise((resolve) => setImmediate(resolve))
    },
    advance(ms: number) {
      now += ms
    },
  }
}
