import type {Clock} from '../../model/clock.js'
import {MoveLatencies} from './move-latencies.js'
import {ReconnectLatencies} from './reconnect-latencies.js'
import {type Governor, type InFlightView, type MoveState, pacedGate} from './paced-gate.js'
import type {MoveEnd, Pacer, PaceReason, PaceSample, PaceSignal} from './pacer.js'

/**
 * `--rate auto`: start low, go faster while the targets absorb the moves, slower as soon as
 * a queue builds on them. See DESIGN below for the signals and why; the figures are from
 * test/unit/pace-adaptive.test.ts (simulated cluster, seeded) and bench/pace-compare.ts.
 */
export interface AdaptivePace {
  /** `--rate auto` with a maximum: never more starts a second than this. */
  maxRate?: number
  /** Never more in flight than this, whatever the controller would allow. */
  maxInFlight?: number
  /** Moves a second at first: low, so a small or busy cluster never sees a burst. */
  initialRate?: number
  minRate?: number
  /** The queueing delay on the targets to aim at (ms). */
  queueTargetMs?: number
  /** The same for the ladder's hand-offs, judged on their reconnections (ms; see DESIGN). */
  handoffQueueTargetMs?: number
  /** The least time between two decisions (ms). */
  stepMs?: number
  /** A move unseen this long past the latest it could be seen with no queue is presumed lost (ms). */
  lateSlackMs?: number
}

/*
 * DESIGN
 *
 * Signals, from what the engine can observe (issue 14):
 * - The time from a move's start to the directory poll that saw it on its new node. This
 *   is the one signal that carries the targets' login queue. It is coarse: polls come
 *   every ~250 ms plus a listing's time, so each latency carries 0 to a whole poll cycle of
 *   waiting. Per poll batch we take the *minimum*: the newest move in the listing started
 *   just before it, so its latency is one move's own (50-100 ms simulated, whatever the
 *   listing's time), while a batch's median carries half a poll cycle (850-875 ms with 0.8 s
 *   listings), and a queue on the targets delays every move, the newest too. The
 *   base is the 10th percentile of batch minima over 30 s; the queue is the recent median
 *   of minima less the base. Target: 150 ms, far below the 2 s after which xmpp.js gives up
 *   a login step (docs/performance.md, finding 4) and the seconds-long moves of the lossy regime (3b).
 * - What lands per second (between poll batches). With a queue on the targets that is
 *   their capacity, whatever the pace that built the queue (BBR's observation), so a cut
 *   goes straight below it instead of by a guessed factor.
 * - Moves in flight: the age of the oldest one not yet seen is a lower bound on its
 *   latency, so a queue that slow listings hide still shows; and a window of 3x what the
 *   pace keeps in flight with no queue stops starts when feedback stalls.
 * - Failed logins, sessions gone offline or still on their source, and moves unseen long
 *   past their time ("late"): halve. The engine learns a make-before-break move failed only
 *   at --wait (60 s): a backstop, never the controller's main signal.
 * - Not used: acks (the helper answers before it logs in; the admin's iq takes ~2 ms on
 *   any load); refusals only free their slot (no login happened).
 * - Moves the ladder hands off (handover, redirect, close) free their slot when the server
 *   takes them; the engine reports each client seen back (`reconnected`: from the hand-off
 *   to the listing). When those land faster than packet moves (a drain of ordinary clients),
 *   the pace follows them instead, differently: their latency carries each client's own
 *   reconnect delay, so (a) the queue is the 25th percentile of the last 2 s of
 *   reconnections over the 10th percentile of those values in 30 s (reconnect-latencies.ts:
 *   batch minima read the spread of delays as a queue, and the median swings with the pace
 *   itself), aimed under 500 ms (an ordinary client's gap stays within its delay + 0.5 s,
 *   issue 12); (b) news comes a reconnect delay late, so no slow start: +10 % a second
 *   while that queue is under 250 ms, never past 1.25 x what lands; over 500 ms, cut to what
 *   lands x (1 - queue / 2 s), judged again a reconnection later; and at once when fewer
 *   than 75 % of the moves started a median reconnection earlier come back (a queue building
 *   before it shows in the latencies); never under the starting pace on this evidence alone;
 *   (c) a client not back at the end of a rung's window is slow, not a failed login: never a
 *   loss (finding 14's note). Simulated (test/unit/pace-adaptive.test.ts, seeded): 20 -> 85
 *   % of 60/s in 13-20 s and 0 failed logins with delays of 1-1.3 s (1.33-1.37 x the ideal)
 *   or 0.3-3.3 s (2.2-2.75 x); a capacity halved mid-run: 79-87 of 3,000 logins fail.
 *
 * Control, on a rate: starts spaced evenly (a window alone releases a poll's whole batch of
 * freed slots at once, and the queue that burst causes reads as congestion):
 * - Slow start: double each round trip (start to report, the slowest way), never past
 *   twice what lands, until the queue passes 100 ms; then halve, or drop to what lands.
 * - Then: raise while the queue is under 75 ms, by 5 % a round trip within 5 % of the
 *   capacity last measured, faster (to 30 %) the longer no queue shows away from it (CUBIC's
 *   shape: a doubled capacity is followed in 2-5 s); hold between 75 and 150 ms; above 150
 *   ms cut to what lands x (1 - queue / 2 s), at most by half, then judge only moves started
 *   once that queue has drained (those before it would make it cut twice).
 *
 * Chosen by simulation (`npm run bench:pace`: 3 seeds each of 120/s steady, 120 -> 60/s
 * at 10 s, 60 -> 120/s at 10 s, 100/s with 0.8 s listings, 90/s with clients taking
 * 20-200 ms): drains took 1.15 x the ideal N / capacity (mean of 15), with 0 failed logins
 * and no login waiting over 1.6 s (a client gives up at 2 s). The alternatives, on the same
 * gate and signals: a concurrency window with a delay gradient (Vegas / Netflix
 * concurrency-limits: limit x (base + target) / latency) took 1.20-1.31 x where it finished,
 * 73 x with 0.8 s listings (its window grows by one per landing, and slow polls bring few),
 * and failed 27 logins. Doubling and halving on failures alone
 * (AIMD) failed 34,586 logins: the failures it waits for are seen seconds late. Fixed
 * paces: 50/s (today's default) 1.94 x; 0.9 x the capacity 1.11 x, but 4,408 failed
 * logins when the capacity halves. The weak spot: a capacity that falls to a sixth (120 ->
 * 20/s) loses the logins already queued (161 of 1,500, all within 6 s; fixed 50/s lost
 * 1,036).
 */

const DEFAULTS: Required<AdaptivePace> = {
  maxRate: 1000,
  maxInFlight: 10_000,
  initialRate: 20,
  minRate: 1,
  queueTargetMs: 150,
  handoffQueueTargetMs: 500,
  stepMs: 250,
  lateSlackMs: 2000,
}

const LATENCY_WINDOWS = {
  /** The current latency: the median of the batch minima of the last 0.5 s (at least two batches, eight moves). */
  recentMs: 500,
  /** The base: over the last 30 s. */
  baseWindowMs: 30_000,
  /** What lands per second: over at least 0.5 s and two polls, at most 5 s. */
  deliveryWindowMs: 500,
  maxDeliveryWindowMs: 5000,
}

/** Slow start ends once the queue passes this share of the target. */
const SLOW_START_EXIT = 2 / 3
/** A raise adds this share of the pace a round trip near the capacity last measured… */
const RAISE_PER_ROUND_TRIP = 0.05
/** …and up to this away from it, growing by the former with each raise in a row. */
const MOST_RAISE_PER_ROUND_TRIP = 0.3
/** "Near": within this share of the capacity last measured. */
const NEAR_CAPACITY = 0.05
/** A cut drains the queue it found in about this long. */
const DRAIN_MS = 2000
/** The window's headroom over what the pace keeps in flight with no queue. */
const WINDOW_GAIN = 3
/** Hand-offs: the pace grows by this share a second while their reconnections meet no queue… */
const HANDOFF_RAISE_PER_S = 0.1
/** …judged on a low quantile of what was reported this recently (at least this many)… */
const RECONNECT_WINDOWS = {recentMs: 2000, minSamples: 30, baseWindowMs: 30_000}
/** …never past this multiple of what lands… */
const HANDOFF_MOST_OVER_LANDED = 1.25
/** …and cut at once when fewer than this share of the moves started a reconnection ago come back (over this long). */
const HANDOFF_DEFICIT = 0.75
const HANDOFF_DEFICIT_WINDOW_MS = 2000

export function adaptivePacer(clock: Clock, options: AdaptivePace = {}): Pacer {
  // Options left undefined keep their default (a spread would copy the undefined over it).
  const settings: Required<AdaptivePace> = {...DEFAULTS}
  for (const [key, value] of Object.entries(options) as Array<[keyof AdaptivePace, number | undefined]>) if (value !== undefined) settings[key] = value
  if (!(settings.maxRate > 0)) throw new RangeError(`maxRate must be a positive number of moves per second, not ${settings.maxRate}`)
  return pacedGate(clock, new DelayGovernor(clock.now(), settings))
}

class DelayGovernor implements Governor {
  rate: number
  window: number
  readonly history: PaceSample[] = []
  readonly #o: Required<AdaptivePace>
  readonly #latencies = new MoveLatencies(LATENCY_WINDOWS)
  /** The ladder's hand-offs seen back: how many land (batch-aware) and how long they took. */
  readonly #handoffLandings = new MoveLatencies(LATENCY_WINDOWS)
  readonly #reconnects = new ReconnectLatencies(RECONNECT_WINDOWS)
  /** When each move started, over the last 30 s: what should be landing a reconnection later. */
  readonly #startTimes: number[] = []
  #slowStart = true
  /** Raises in a row away from the known capacity. */
  #raiseStreak = 0
  /** What landed per second the last time the targets had a queue: their capacity then. */
  #knownCapacity: number | null = null
  #cutAt = -Infinity
  /** Moves started before this met the queue the last cut answered: no reason to cut again… */
  #judgeFrom = -Infinity
  /** …unless they meet a longer queue than the cut found. */
  #queueAtCut = Infinity
  /** The last check, and the last decision (a check with news, a loss or a queue). */
  #checkedAt: number
  #decidedAt: number
  /** Landings reported up to this instant were judged already. */
  #judgedUpTo = -Infinity
  #startsSinceDecision = 0
  #loss = false
  #latency: number | null = null
  /** The base the last decision went by. */
  #baseMs: number | null = null
  /** Start times of moves not yet seen (nor written off), oldest first. */
  readonly #unseen = new Map<number, number>()

  constructor(now: number, options: Required<AdaptivePace>) {
    this.#o = options
    this.rate = Math.min(options.initialRate, options.maxRate)
    this.window = this.#windowFor(this.rate)
    this.#checkedAt = now
    this.#decidedAt = now
    this.#record(now, 0, 'start')
  }

  get slotRate(): number {
    return this.rate
  }

  get lateAfterMs(): number {
    return (this.#latencies.base ?? 1000) + (this.#latencies.unseenForMs ?? 1000) + this.#o.lateSlackMs
  }

  started(move: MoveState, now: number, inFlight: InFlightView): void {
    this.#unseen.set(move.id, move.startedAt)
    this.#startTimes.push(move.startedAt)
    // Kept for 30 s: cut in chunks, so that a drain of 10^6 moves never shifts one by one.
    if (this.#startTimes.length >= 1024 && this.#startTimes[511]! < now - 30_000) this.#startTimes.splice(0, 512)
    this.#startsSinceDecision += 1
    this.#check(now, inFlight)
  }

  settled(move: MoveState, end: MoveEnd, now: number, inFlight: InFlightView): void {
    this.#unseen.delete(move.id)
    if (end.kind === 'landed') this.#latencies.add(move.startedAt, end.at ?? now, now)
    else if (end.kind === 'failed' && !move.late) this.#lost(move)
    this.#check(now, inFlight)
  }

  late(move: MoveState, now: number, inFlight: InFlightView): void {
    this.#unseen.delete(move.id)
    this.#lost(move)
    this.#check(now, inFlight)
  }

  observe(signal: PaceSignal, now: number, inFlight: InFlightView): void {
    // One halving per round trip, however many reports: a cut shows only in later moves.
    if (signal.kind === 'failed-logins' && signal.count > 0 && now >= this.#judgeFrom) this.#loss = true
    if (signal.kind === 'reconnected') {
      this.#handoffLandings.add(signal.handedOffAt, signal.seenAt, now)
      this.#reconnects.add(signal.handedOffAt, signal.seenAt, now)
    }
    this.#check(now, inFlight)
  }

  #lost(move: MoveState): void {
    // A move started before the last cut took effect tells of the overload that cut answered.
    if (move.startedAt >= this.#judgeFrom) this.#loss = true
  }

  #check(now: number, inFlight: InFlightView): void {
    // A loss is acted on at once (one per drain, see #lost); anything else once a step.
    if (now - this.#checkedAt < this.#o.stepMs && !this.#loss) return
    this.#checkedAt = now
    if (!this.#loss && this.#handoffsLead(now)) return this.#checkHandoffs(now, inFlight)
    const o = this.#o
    const base = this.#latencies.base
    // Cuts judge only moves started once the last cut's queue drained, or moves started since
    // the cut that met a longer queue than it found; raises every move started since the cut:
    // if those met no queue, the drain is over already.
    const current = this.#latencyFrom(now, this.#judgeFrom)
    const queue = current !== null && base !== null ? current - base : null
    const sinceCut = this.#latencies.current(now, this.#cutAt)
    const queueSinceCut = sinceCut !== null && base !== null ? sinceCut - base : null
    const completeAt = this.#latencies.completeAt(now)
    let reason: PaceReason
    if (this.#loss) {
      this.#cut(now, 0.5, this.#roundTrip())
      this.#queueAtCut = Infinity
      reason = 'loss'
    } else if (queue !== null && this.#slowStart && queue > o.queueTargetMs * SLOW_START_EXIT) {
      // Slow start doubled the pace each round trip while this queue was on its way to us:
      // at least halve it (TCP's slow start does), and never stay above what lands.
      const delivered = this.#latencies.delivered(now)
      this.#cut(now, Math.min(0.5, (delivered ?? this.rate) / this.rate), Math.min(DRAIN_MS, queue * 4))
      this.#queueAtCut = queue
      reason = 'queue'
    } else if ((queue !== null && queue > o.queueTargetMs) || (queueSinceCut !== null && queueSinceCut > this.#queueAtCut + o.queueTargetMs)) {
      // What lands now is the targets' capacity: below it by enough to drain the queue in
      // DRAIN_MS. Also while the last cut's queue drains, if moves started since meet a
      // longer one: the capacity fell again, or the cut went by a stale measure of it.
      const found = Math.max(queue ?? 0, queueSinceCut ?? 0)
      const drain = Math.min(0.5, Math.max(0.05, found / DRAIN_MS))
      const delivered = this.#latencies.delivered(now)
      if (delivered !== null) this.#knownCapacity = delivered
      const factor = delivered === null ? 1 - drain : Math.min(1, (delivered * (1 - drain)) / this.rate)
      this.#cut(now, Math.max(0.5, factor), Math.min(DRAIN_MS, found / drain))
      this.#queueAtCut = found
      reason = 'queue'
    } else if (completeAt <= this.#judgedUpTo) {
      // No landing reported since the last decision: nothing new to go on (slow listings: seconds).
      this.window = this.#windowFor(this.rate)
      return
    } else if (queueSinceCut !== null && queueSinceCut < o.queueTargetMs / 2 && this.#used(now)) {
      this.#raise(now)
      reason = 'raise'
    } else {
      if (queueSinceCut !== null && queueSinceCut >= o.queueTargetMs / 2) this.#raiseStreak = 0
      reason = 'hold'
    }
    if (this.rate >= o.maxRate) {
      this.rate = o.maxRate
      if (reason === 'raise') reason = 'cap'
    }
    if (sinceCut !== null) this.#latency = sinceCut
    this.#baseMs = base
    this.window = this.#windowFor(this.rate)
    this.#judgedUpTo = completeAt
    this.#decidedAt = now
    this.#startsSinceDecision = 0
    this.#loss = false
    this.#record(now, inFlight.count, reason)
  }

  /** More hand-offs than packet moves land lately: a drain of clients only the ladder moves. */
  #handoffsLead(now: number): boolean {
    const handoffs = this.#handoffLandings.delivered(now)
    return handoffs !== null && handoffs > (this.#latencies.delivered(now) ?? 0)
  }

  /**
   * What lands per second, when it is under HANDOFF_DEFICIT of what started one median
   * reconnection earlier (over the same span); null otherwise or before there is enough.
   */
  #handoffDeficit(): number | null {
    const lag = this.#reconnects.median
    const landed = this.#reconnects.landed(HANDOFF_DEFICIT_WINDOW_MS)
    if (lag === null || landed === null) return null
    const to = landed.until - lag
    const from = to - HANDOFF_DEFICIT_WINDOW_MS
    if (this.#startTimes.length === 0 || this.#startTimes[0]! > from) return null
    let started = 0
    for (const at of this.#startTimes) if (at >= from && at < to) started++
    const startedPerS = (started * 1000) / HANDOFF_DEFICIT_WINDOW_MS
    return landed.perS < HANDOFF_DEFICIT * startedPerS ? landed.perS : null
  }

  /** The pace on the hand-offs' reconnections (DESIGN). */
  #checkHandoffs(now: number, inFlight: InFlightView): void {
    const o = this.#o
    if (this.#reconnects.lastReportAt <= this.#judgedUpTo) return
    const current = this.#reconnects.current(now)
    const base = this.#reconnects.base
    if (current === null || base === null) return
    const queue = current - base
    const delivered = this.#handoffLandings.delivered(now)
    const deficit = this.#handoffDeficit()
    let reason: PaceReason
    if (deficit !== null && now >= this.#judgeFrom) {
      // Fewer come back than left a reconnection ago: the targets take less than the pace, a
      // queue is building before it shows in the latencies (those lag by the clients' delays).
      this.#cut(now, Math.max(0.5, Math.min(1, (0.9 * deficit) / this.rate)), current + RECONNECT_WINDOWS.recentMs)
      this.rate = Math.max(this.rate, o.initialRate)
      reason = 'queue'
    } else if (queue > o.handoffQueueTargetMs && now >= this.#judgeFrom) {
      // What lands is what the targets take: below it by enough to drain the queue in DRAIN_MS,
      // judged again once moves started now have come back (the last 2 s median holds older ones).
      const drain = Math.min(0.5, Math.max(0.05, queue / DRAIN_MS))
      const factor = delivered === null ? 1 - drain : Math.min(1, (delivered * (1 - drain)) / this.rate)
      this.#cut(now, Math.max(0.5, factor), current + RECONNECT_WINDOWS.recentMs)
      this.rate = Math.max(this.rate, o.initialRate)
      reason = 'queue'
    } else if (queue < o.handoffQueueTargetMs / 2 && this.#used(now)) {
      const before = this.rate
      this.rate *= 1 + (HANDOFF_RAISE_PER_S * Math.min(1000, now - this.#decidedAt)) / 1000
      if (delivered !== null) this.rate = Math.min(this.rate, Math.max(o.initialRate, HANDOFF_MOST_OVER_LANDED * delivered))
      // Held back to what lands (the report would show a "raise" to a lower pace otherwise).
      reason = this.rate > before ? 'raise' : 'hold'
    } else {
      reason = 'hold'
    }
    if (this.rate >= o.maxRate) {
      this.rate = o.maxRate
      if (reason === 'raise') reason = 'cap'
    }
    this.#latency = current
    this.#baseMs = base
    this.window = this.#windowFor(this.rate)
    this.#judgedUpTo = this.#reconnects.lastReportAt
    this.#decidedAt = now
    this.#startsSinceDecision = 0
    this.#record(now, inFlight.count, reason)
  }

  /** Only a pace that was used says anything about the cluster (the plan may be running out). */
  #used(now: number): boolean {
    const elapsed = now - this.#decidedAt
    return elapsed > 0 && (this.#startsSinceDecision * 1000) / elapsed >= 0.8 * this.rate
  }

  /**
   * The latency of moves started since `startedSince`: what landed, or, when those are stuck
   * behind a queue and have not landed to say so, the age of the oldest one still unseen
   * less the longest a landed move stays unreported (it landed no later than that).
   */
  #latencyFrom(now: number, startedSince: number): number | null {
    const landed = this.#latencies.current(now, startedSince)
    const unseenFor = this.#latencies.unseenForMs
    let oldest: number | null = null
    for (const [id, startedAt] of this.#unseen) {
      if (startedAt >= startedSince) {
        oldest = startedAt
        break
      }
      // Started before the last drain's end: never looked at again.
      this.#unseen.delete(id)
    }
    if (oldest === null || unseenFor === null) return landed
    const atLeast = now - oldest - unseenFor
    if (atLeast <= 0) return landed
    return landed === null ? atLeast : Math.max(landed, atLeast)
  }

  /**
   * Slower by `factor`, judged again only on moves started `drainMs` from now: earlier ones
   * wait behind the queue this cut answers, and would make it cut again.
   */
  #cut(now: number, factor: number, drainMs: number): void {
    this.rate = Math.max(this.#o.minRate, this.rate * factor)
    this.#slowStart = false
    this.#raiseStreak = 0
    this.#cutAt = now
    this.#judgeFrom = now + drainMs
  }

  #raise(now: number): void {
    const roundTrip = this.#roundTrip()
    const dt = Math.min(roundTrip, now - this.#decidedAt)
    if (this.#slowStart) {
      this.rate *= 2 ** (dt / roundTrip)
      // Never more than twice what lands (TCP's ack clock): when listings slow down with the
      // queue, news comes later than a round trip, and doubling blind overshot 4x.
      const delivered = this.#latencies.delivered(now)
      if (delivered !== null) this.rate = Math.min(this.rate, Math.max(this.#o.initialRate, 2 * delivered))
      return
    }
    const known = this.#knownCapacity
    const near = known !== null && Math.abs(this.rate - known) <= NEAR_CAPACITY * known
    this.#raiseStreak = near ? 0 : this.#raiseStreak + 1
    const perRoundTrip = near ? RAISE_PER_ROUND_TRIP : Math.min(MOST_RAISE_PER_ROUND_TRIP, RAISE_PER_ROUND_TRIP * (1 + this.#raiseStreak))
    this.rate *= 1 + (perRoundTrip * dt) / roundTrip
  }

  /** From a start to the report of the poll that sees it, the slowest way: how soon a change shows. */
  #roundTrip(): number {
    return (this.#latencies.base ?? 500) + (this.#latencies.unseenForMs ?? 500)
  }

  /**
   * WINDOW_GAIN x the moves the pace keeps in flight with no queue (each takes the base
   * latency, half an unloaded poll cycle on average to be polled, and the listing's time to
   * be reported), plus the queue aimed at. Unloaded figures: listings slow down with the
   * queue, and a window sized on those would grow with the overload it is there to bound.
   * Unbounded until the first batch gives a latency (the pace is low then).
   */
  #windowFor(rate: number): number {
    const latencies = this.#latencies
    const base = latencies.base
    if (base === null) return this.#o.maxInFlight
    const inFlightMs = base + (latencies.unloadedCycleMs ?? base) / 2 + (latencies.unloadedReportDelayMs ?? 0) + this.#o.queueTargetMs
    return Math.min(this.#o.maxInFlight, Math.max(4, Math.ceil((WINDOW_GAIN * rate * inFlightMs) / 1000)))
  }

  #record(at: number, inFlight: number, reason: PaceReason): void {
    const last = this.history.at(-1)
    if (last && last.reason === reason && at - last.at < 1000) return
    this.history.push({at, rate: this.rate, window: this.window, inFlight, latencyMs: this.#latency, baseMs: this.#baseMs, reason})
  }
}
