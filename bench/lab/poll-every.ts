// Calls `take()` again and again, at most once every `everyMs` (a slow answer stretches
// the interval: the next call starts when the last one has answered and the interval has
// passed). Each answer is stamped at the middle of its call, when its snapshot was taken.

export interface PollSample<T> {
  t: number
  ms: number
  value: T
}

export interface Polling<T> {
  readonly failures: number
  /** Stops after the call in flight; resolves with every sample. */
  stop(): Promise<PollSample<T>[]>
}

export function pollEvery<T>(take: () => Promise<T>, everyMs: number): Polling<T> {
  const samples: PollSample<T>[] = []
  let stopped = false
  let failures = 0
  const now = () => performance.timeOrigin + performance.now()
  const loop = (async () => {
    while (!stopped) {
      const started = now()
      try {
        const value = await take()
        const ended = now()
        samples.push({t: (started + ended) / 2, ms: Math.round(ended - started), value})
      } catch {
        failures++
      }
      const wait = everyMs - (now() - started)
      if (wait > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  })()
  return {
    get failures() {
      return failures
    },
    async stop() {
      stopped = true
      await loop
      return samples
    },
  }
}
