import type {Clock} from '../model/clock.js'

/** Doubling pauses between tries, up to a ceiling, for at most a while. */
export interface Backoff {
  initialDelayMs: number
  maxDelayMs: number
  /** No pause is started that would end later than this after the first try. */
  giveUpAfterMs: number
}

export interface RetryOptions {
  backoff: Backoff
  clock: Clock
  /** Whether a failure is worth another try; anything else is thrown at once. */
  retryable: (error: unknown) => boolean
  /** Pause before the first try too (a link that just dropped is not logged in to again at once). */
  pauseFirst?: boolean
  /** The error thrown when the tries run out (default: the last failure). */
  giveUp?: (last: unknown, tries: number, elapsedMs: number) => unknown
}

/**
 * The one retry loop of the project: the directory's HTTP calls, the admin link's
 * logins and the XEP-0133 node lookups all back off this way. Ours rather than
 * p-retry's because the run's clock is passed in (p-retry sleeps on real timers),
 * which keeps every caller testable without sleeping.
 */
export async function retry<T>(attempt: (tries: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const {backoff, clock} = options
  const started = clock.now()
  let delay = backoff.initialDelayMs
  const pause = async () => {
    await clock.sleep(delay)
    delay = Math.min(delay * 2, backoff.maxDelayMs)
  }
  if (options.pauseFirst) await pause()
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(tries)
    } catch (error) {
      if (!options.retryable(error)) throw error
      const elapsed = clock.now() - started
      if (elapsed + delay > backoff.giveUpAfterMs) throw options.giveUp ? options.giveUp(error, tries, elapsed) : error
      await pause()
    }
  }
}
