/**
 * Time as the helper sees it. Passed in, so that the move strategies (a one-second
 * tie-break wait, a retry in a later second, bounds of 2–15 s) are tested without sleeping.
 */
export interface Timer {
  now(): number
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** Wall-clock time and setTimeout. */
export function systemTimer(now: () => number = Date.now): Timer {
  return {
    now,
    sleep(ms, signal) {
      if (ms <= 0 || signal?.aborted) return Promise.resolve()
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, ms)
        signal?.addEventListener('abort', done)
      })
    },
  }
}

export class TimeoutError extends Error {
  constructor(
    what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

/**
 * `work` bounded by `ms` (a TimeoutError) and by `signal` (its reason). The work itself
 * is not cancelled: whoever started it cleans up after a rejection.
 */
export function bounded<T>(work: Promise<T>, ms: number, signal: AbortSignal, what: string, timer: Timer): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stopTimer = new AbortController()
    const onAbort = () => finish(() => reject(signal.reason instanceof Error ? signal.reason : new Error(`${what} was aborted`)))
    function finish(settle: () => void) {
      stopTimer.abort()
      signal.removeEventListener('abort', onAbort)
      settle()
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort)
    void timer.sleep(ms, stopTimer.signal).then(() => {
      if (!stopTimer.signal.aborted) finish(() => reject(new TimeoutError(what, ms)))
    })
    work.then(
      (value) => finish(() => resolve(value)),
      (error) => finish(() => reject(error)),
    )
  })
}
