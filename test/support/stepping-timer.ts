import type {Timer} from '../../src/client/timer.js'

/**
 * A Timer for unit tests: time moves only when a sleep completes, by the whole sleep, and
 * a sleep completes on the next setImmediate (unless its signal was aborted by then: then
 * no time passes). So waits cost nothing, whatever a test queued with setImmediate before
 * the sleep began (a server's answer) comes first whatever the machine's load, and
 * `slept` lists the waits that ran to the end.
 */
export function steppingTimer(start = 1_000_000): Timer & {readonly slept: number[]} {
  let now = start
  const slept: number[] = []
  return {
    slept,
    now: () => now,
    sleep(ms, signal) {
      if (ms <= 0 || signal?.aborted) return Promise.resolve()
      return new Promise((resolve) =>
        setImmediate(() => {
          if (!signal?.aborted) {
            now += ms
            slept.push(ms)
          }
          resolve()
        }),
      )
    },
  }
}
