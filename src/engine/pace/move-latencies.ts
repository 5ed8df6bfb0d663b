/**
 * What the engine's tracking says about recent moves: each landed move's latency, from its
 * start to the directory poll that saw it on its new node. Tracking polls every ~250 ms and a
 * listing takes 0.1 s to seconds, so landings arrive in batches, one per poll, and a latency
 * carries a wait for the next poll of anything between 0 and a whole poll cycle. A batch's
 * median carries half a cycle (simulated at 40 moves/s with no queue, 0.8 s listings: batch
 * medians 850-875 ms for moves that took 50-100 ms), and the cycle grows with the listing's
 * time, which grows with the targets' load. Its minimum does not: the newest move the
 * listing saw started just before it, so the minimum is one move's own latency within one
 * start interval (the same run: 50-75 ms; with 0.1 s listings 53-103 ms). A queue on the
 * targets delays every move, the newest too, so it shows in the minimum in full. `at`
 * should be when the listing began: its time to answer grows with the queue as well, and
 * would blur the rate of landings.
 */

interface Sample {
  /** When it was seen: the same for every move of one poll. */
  at: number
  /** When the engine told us: a poll's moves are settled at one instant. */
  addedAt: number
  startedAt: number
  latencyMs: number
}

function median(values: number[]): number {
  values.sort((a, b) => a - b)
  return values[values.length >> 1]!
}

function lowPercentile(values: number[]): number {
  values.sort((a, b) => a - b)
  return values[Math.floor(values.length / 10)]!
}

/** Batch minima a current value needs before it means anything… */
const MIN_BATCHES = 2
/** …and moves in them: at 8 moves/s a poll's batch holds two or three, and its minimum is one client's luck. */
const MIN_SAMPLES = 8

/** Samples that make one batch's minimum worth lowering the base with. */
const BASE_MIN_SAMPLES = 3

/** Landings after a window's first batch that make a delivery rate. */
const MIN_DELIVERED = 3

/** Samples kept however old: at 1 move/s the windows hold none, and a current value needs two batches. */
const KEEP_AT_LEAST = 64

/** Landings within this of each other belong to one poll. */
const SAME_POLL_MS = 1

export interface LatencyWindows {
  /** The current latency is the median of the batch minima seen this recently (at least the last two). */
  recentMs: number
  /** The base latency is a low percentile of the batch minima over this long. */
  baseWindowMs: number
  /** Landings counted for the delivery rate: at least this long and three polls… */
  deliveryWindowMs: number
  /** …and never older than this. */
  maxDeliveryWindowMs: number
}

interface Batch {
  at: number
  /** The least latency in it: the newest move's own latency. */
  minLatencyMs: number
  count: number
  /** Since the batch before. */
  gapMs: number
  /** From the poll's start to the engine telling us: the listing's time. */
  reportDelayMs: number
}

export class MoveLatencies {
  readonly #windows: LatencyWindows
  readonly #samples: Sample[] = []
  /** Closed batches over the base window (at least the last few). */
  readonly #batches: Batch[] = []
  #base: number | null = null
  #unloadedCycleMs: number | null = null
  #unseenForMs: number | null = null
  #unloadedReportDelayMs: number | null = null
  /** The clock instants of the last two adds that differ: what was added before `now` is complete. */
  #lastAddedAt = -Infinity
  #previousAddedAt = -Infinity

  constructor(windows: LatencyWindows) {
    this.#windows = windows
  }

  add(startedAt: number, seenAt: number, now: number): void {
    const samples = this.#samples
    const last = samples.at(-1)
    // A batch is over when a later one begins.
    if (last && seenAt - last.at > SAME_POLL_MS) this.#closeBatch()
    samples.push({at: seenAt, addedAt: now, startedAt, latencyMs: seenAt - startedAt})
    if (now !== this.#lastAddedAt) {
      this.#previousAddedAt = this.#lastAddedAt
      this.#lastAddedAt = now
    }
  }

  /** The instant of the latest add that is over (before `now`): news since then is complete. */
  completeAt(now: number): number {
    return this.#lastAddedAt < now ? this.#lastAddedAt : this.#previousAddedAt
  }

  /** The latency of a move that met no queue, as far as the base window shows; null before any batch. */
  get base(): number | null {
    return this.#base
  }

  /**
   * The longest a landed move can stay unreported, lately: a poll cycle (it landed just after
   * a listing began) plus the next listing's time (medians of the last eight batches). Null
   * before three batches.
   */
  get unseenForMs(): number | null {
    return this.#unseenForMs
  }

  /**
   * The time between polls and from a poll to its report on an unloaded cluster: low
   * percentiles over the base window. Listings slow down with the targets' queue (seconds
   * under a login storm); a window sized on those would grow with the overload it is there
   * to bound.
   */
  get unloadedCycleMs(): number | null {
    return this.#unloadedCycleMs
  }

  get unloadedReportDelayMs(): number | null {
    return this.#unloadedReportDelayMs
  }

  /**
   * The median of the minima of the batches seen in the last `recentMs` (at least the last
   * two, and eight moves), counting only moves started at or after `startedSince`; null
   * when fewer have. Moves settled at this very instant are left out: the rest of
   * their poll may still be on its way (the first of a batch to arrive is its oldest move).
   */
  current(now: number, startedSince = -Infinity): number | null {
    this.#forget(now)
    const since = now - this.#windows.recentMs
    const minima: number[] = []
    let counted = 0
    let batchAt = Infinity
    let batchMin = Infinity
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      const sample = this.#samples[i]!
      if (sample.addedAt >= now) continue
      if (batchAt - sample.at > SAME_POLL_MS) {
        if (batchMin < Infinity) minima.push(batchMin)
        if (sample.at <= since && minima.length >= MIN_BATCHES && counted >= MIN_SAMPLES) break
        batchAt = sample.at
        batchMin = Infinity
      }
      if (sample.startedAt >= startedSince) {
        batchMin = Math.min(batchMin, sample.latencyMs)
        counted++
      }
    }
    if (batchMin < Infinity) minima.push(batchMin)
    if (minima.length < MIN_BATCHES || counted < MIN_SAMPLES) return null
    minima.sort((a, b) => a - b)
    return minima[minima.length >> 1]!
  }

  #closeBatch(): void {
    const samples = this.#samples
    const newest = samples.at(-1)!
    const at = newest.at
    let min = Infinity
    let count = 0
    for (let i = samples.length - 1; i >= 0 && at - samples[i]!.at <= SAME_POLL_MS; i--, count++) min = Math.min(min, samples[i]!.latencyMs)
    const batches = this.#batches
    const previous = batches.at(-1)
    batches.push({at, minLatencyMs: min, count, gapMs: previous ? at - previous.at : Infinity, reportDelayMs: newest.addedAt - at})
    let expired = 0
    while (expired < batches.length - 9 && batches[expired]!.at <= at - this.#windows.baseWindowMs) expired++
    if (expired > 0) batches.splice(0, expired)
    // One move in a batch is one start's luck with the poll: let it set a first base, not lower one.
    const full = batches.filter((batch) => batch.count >= BASE_MIN_SAMPLES)
    // The 10th percentile, not the minimum: one odd batch must not set the base for 30 s.
    this.#base = lowPercentile(full.length > 0 ? full.map((batch) => batch.minLatencyMs) : [min])
    const recent = batches.slice(-8)
    const recentGaps = recent.map((batch) => batch.gapMs).filter(Number.isFinite)
    this.#unseenForMs = recentGaps.length >= 2 ? median(recentGaps) + median(recent.map((batch) => batch.reportDelayMs)) : null
    const gaps = batches.map((batch) => batch.gapMs).filter(Number.isFinite)
    this.#unloadedCycleMs = gaps.length >= 2 ? lowPercentile(gaps) : null
    this.#unloadedReportDelayMs = lowPercentile(batches.map((batch) => batch.reportDelayMs))
  }

  /**
   * Moves seen landing per second lately, or null when too few batches say. Landings come in
   * batches, one per poll: the rate is what landed after the first batch counted over the time
   * from that batch to the last one, over at least `deliveryWindowMs` and three batches (a
   * listing of a busy cluster takes seconds), and at most `maxDeliveryWindowMs`. A batch
   * reported at this very instant is left out, as in `current`.
   */
  delivered(now: number): number | null {
    const samples = this.#samples
    let i = samples.length - 1
    // The batch being reported at this instant may be partial: leave it out.
    while (i >= 0 && samples[i]!.addedAt >= now) i--
    if (i < 0 || samples[i]!.at <= now - this.#windows.maxDeliveryWindowMs) return null
    const lastAt = samples[i]!.at
    let firstAt = lastAt
    let batches = 1
    let count = 0
    let inFirstBatch = 0
    for (; i >= 0; i--) {
      const at = samples[i]!.at
      if (at < firstAt) {
        if (at <= now - this.#windows.maxDeliveryWindowMs || (lastAt - firstAt >= this.#windows.deliveryWindowMs && batches >= 2)) break
        firstAt = at
        inFirstBatch = 0
        batches++
      }
      inFirstBatch++
      count++
    }
    const span = lastAt - firstAt
    return span > 0 && count - inFirstBatch >= MIN_DELIVERED ? ((count - inFirstBatch) * 1000) / span : null
  }

  #forget(now: number): void {
    const keep = now - Math.max(this.#windows.recentMs, this.#windows.maxDeliveryWindowMs)
    let drop = 0
    while (drop < this.#samples.length - KEEP_AT_LEAST && this.#samples[drop]!.at <= keep) drop++
    if (drop > 0) this.#samples.splice(0, drop)
  }
}
