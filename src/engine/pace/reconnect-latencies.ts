/**
 * How long clients the ladder handed off (handover, redirect, close) take to be seen back on a
 * target: from the hand-off to the listing that saw them. Each carries the client's own
 * reconnect delay (xmpp.js 1 s, others 0.3-3.3 s, lab notes), which differs from client to
 * client far more than a queue worth acting on. The minimum of a poll's batch, what packet
 * moves are judged by (move-latencies.ts), is then one client's luck: simulated with delays of
 * 0.3-3.3 s, it read the spread as a queue and cut the pace to 1/s. A queue on the targets
 * delays every client alike, so it shows in a low quantile of many: the 25th percentile of
 * what was reported over the last `recentMs` (at least `minSamples`; the median swings with
 * the pace itself, since a slower pace reports fewer of the quick ones), against the 10th
 * percentile of those values over `baseWindowMs`.
 */
export interface ReconnectWindows {
  recentMs: number
  minSamples: number
  baseWindowMs: number
}

interface Sample {
  reportedAt: number
  seenAt: number
  latencyMs: number
}

/** The quantile of recent latencies that tells the queue… */
const QUANTILE = 0.25
/** …and the quantile of those over the base window that is the latency with no queue. */
const BASE_QUANTILE = 0.1
/** Reports kept for the landing rate, however recent the latency window. */
const KEEP_MS = 5000

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(sorted.length * q)]!
}

export class ReconnectLatencies {
  readonly #windows: ReconnectWindows
  readonly #samples: Sample[] = []
  readonly #estimates: Array<{at: number; valueMs: number}> = []
  #median: number | null = null

  constructor(windows: ReconnectWindows) {
    this.#windows = windows
  }

  add(handedOffAt: number, seenAt: number, now: number): void {
    this.#samples.push({reportedAt: now, seenAt, latencyMs: Math.max(0, seenAt - handedOffAt)})
  }

  /** The newest report's instant, or -Infinity. */
  get lastReportAt(): number {
    return this.#samples.at(-1)?.reportedAt ?? -Infinity
  }

  /** The median latency of the last `current()`: how far back a landing's start lies. */
  get median(): number | null {
    return this.#median
  }

  /** The low quantile of the latencies reported in the last `recentMs` (or the last `minSamples`), or null with fewer; kept for the base. */
  current(now: number): number | null {
    const samples = this.#samples
    let drop = 0
    while (drop < samples.length - this.#windows.minSamples && samples[drop]!.reportedAt <= now - KEEP_MS) drop++
    if (drop > 0) samples.splice(0, drop)
    let first = samples.length
    while (first > 0 && (samples[first - 1]!.reportedAt > now - this.#windows.recentMs || samples.length - first < this.#windows.minSamples)) first--
    if (samples.length - first < this.#windows.minSamples) return null
    const values = samples
      .slice(first)
      .map((sample) => sample.latencyMs)
      .sort((a, b) => a - b)
    const valueMs = quantile(values, QUANTILE)
    this.#median = quantile(values, 0.5)
    this.#estimates.push({at: now, valueMs})
    while (this.#estimates.length > 1 && this.#estimates[0]!.at < now - this.#windows.baseWindowMs) this.#estimates.shift()
    return valueMs
  }

  /** The latency with no queue, as far as the base window shows; null before any `current()`. */
  get base(): number | null {
    if (this.#estimates.length === 0) return null
    return quantile(
      this.#estimates.map((estimate) => estimate.valueMs).sort((a, b) => a - b),
      BASE_QUANTILE,
    )
  }

  /**
   * Clients seen back per second over the `windowMs` before the newest listing that saw one,
   * and that listing's start; null before two listings or with too few reports kept.
   */
  landed(windowMs: number): {perS: number; until: number} | null {
    const last = this.#samples.at(-1)
    if (!last || this.#samples[0]!.seenAt > last.seenAt - windowMs) return null
    let count = 0
    for (let i = this.#samples.length - 1; i >= 0 && this.#samples[i]!.seenAt > last.seenAt - windowMs; i--) count++
    return {perS: (count * 1000) / windowMs, until: last.seenAt}
  }
}
