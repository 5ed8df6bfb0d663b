import type {Clock} from '../../src/model/clock.js'

/** `run(promise)` found nothing left to wake while the promise was still pending: it can never settle. */
export class VirtualClockDeadlock extends Error {
  constructor(readonly at: number) {
    super(`virtual clock at ${at} ms: the awaited work is pending but no timer is left to wake it`)
    this.name = 'VirtualClockDeadlock'
  }
}

/** `run(promise, {limitMs})` reached its limit first: a loop that never ends, or a limit too short. */
export class VirtualClockLimit extends Error {
  constructor(readonly at: number) {
    super(`virtual clock reached its limit at ${at} ms with the awaited work still pending`)
    this.name = 'VirtualClockLimit'
  }
}

/** Steps kept waking timers at one instant: something sleeps 0 ms in a loop, and time can never move. */
export class VirtualClockSpin extends Error {
  constructor(readonly at: number) {
    super(`virtual clock at ${at} ms: ${SPIN_STEPS} steps in a row without time moving`)
    this.name = 'VirtualClockSpin'
  }
}

/** More steps than this at one instant is a spin, not work (a drain of 10^6 moves wakes a few at once). */
const SPIN_STEPS = 100_000

interface Timer {
  at: number
  /** Ties in time wake in the order they were set. */
  seq: number
  wake: () => void
}

/**
 * A discrete-event clock for tests and simulations. `sleep` only queues a timer; time
 * moves when the test drives it (`run`, `runUntil`, `advance`), and only once every
 * runnable task has yielded: before each step the driver lets the microtask queue run
 * dry (one `setImmediate` turn), then wakes every timer due at the earliest time, in the
 * order they were set. So concurrent sleepers wake in time order, and work that does not
 * sleep takes no simulated time.
 *
 * Timers sit in a binary heap (O(log n) per sleep and per wake) and are dropped when they
 * fire, so a run of 10^6 simulated sessions holds only the timers still pending. A task
 * that waits on something real (a socket, a real timer, its own `setImmediate` chain) is
 * not "runnable" here: the driver does not wait for it.
 */
export class VirtualClock implements Clock {
  #now: number
  #seq = 0
  #stepsAtThisInstant = 0
  readonly #heap: Timer[] = []

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  sleep(ms: number): Promise<void> {
    // Like setTimeout: a negative or NaN delay is "as soon as possible", after what is runnable now.
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    return new Promise<void>((wake) => this.#push({at: this.#now + delay, seq: this.#seq++, wake}))
  }

  /** Timers set and not yet woken. */
  get pendingTimers(): number {
    return this.#heap.length
  }

  /** When the next timer is due, or null. */
  get nextTimerAt(): number | null {
    return this.#heap[0]?.at ?? null
  }

  /** Wakes every timer due by `time` (inclusive), in order, then sets the clock to `time`. */
  async runUntil(time: number): Promise<void> {
    for (;;) {
      await settleRunnable()
      const next = this.#heap[0]
      if (!next || next.at > time) break
      this.#wakeEarliest()
    }
    if (time > this.#now) this.#now = time
  }

  /** `runUntil(now + ms)`. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.#now + ms)
  }

  /**
   * Steps the clock until `work` settles and returns its value. Throws VirtualClockDeadlock when no
   * timer is left while `work` is pending, VirtualClockLimit past `limitMs` of simulated time.
   */
  async run<T>(work: Promise<T>, {limitMs = Infinity}: {limitMs?: number} = {}): Promise<T> {
    let settled = false
    const observed = work.then(
      (value) => {
        settled = true
        return value
      },
      (error: unknown) => {
        settled = true
        throw error
      },
    )
    // The caller awaits `observed` below; until then, keep a rejection from counting as unhandled.
    observed.catch(() => undefined)
    const deadline = this.#now + limitMs
    for (;;) {
      await settleRunnable()
      if (settled) return observed
      const next = this.#heap[0]
      if (!next) throw new VirtualClockDeadlock(this.#now)
      if (next.at > deadline) throw new VirtualClockLimit(this.#now)
      this.#wakeEarliest()
    }
  }

  /** Steps until no timer is left (a task that sleeps in a loop forever makes this never return). */
  async runAll(): Promise<void> {
    for (;;) {
      await settleRunnable()
      if (this.#heap.length === 0) return
      this.#wakeEarliest()
    }
  }

  #wakeEarliest(): void {
    const first = this.#pop()
    if (first.at > this.#now) this.#stepsAtThisInstant = 0
    else if (++this.#stepsAtThisInstant > SPIN_STEPS) throw new VirtualClockSpin(this.#now)
    this.#now = Math.max(this.#now, first.at)
    first.wake()
    // Everything due at the same instant wakes in this step; their continuations queue in seq order.
    while (this.#heap.length > 0 && this.#heap[0]!.at <= this.#now) this.#pop().wake()
  }

  #push(timer: Timer): void {
    const heap = this.#heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(timer, heap[parent]!)) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = timer
  }

  #pop(): Timer {
    const heap = this.#heap
    const top = heap[0]!
    const last = heap.pop()!
    if (heap.length > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= heap.length) break
        const right = left + 1
        const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left
        if (!earlier(heap[child]!, last)) break
        heap[i] = heap[child]!
        i = child
      }
      heap[i] = last
    }
    return top
  }
}

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/**
 * Node drains the whole microtask queue (promise chains, however long) before it runs the
 * next `setImmediate` callback, so once this resolves every task that could run has run
 * and is now waiting on a timer (or on something outside the simulation).
 */
function settleRunnable(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve))
}
