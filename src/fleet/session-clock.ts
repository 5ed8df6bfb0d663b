/**
 * Time without a bound session, for one user. A session counts from its bind to the end
 * of its stream; the time before the first bind is not a gap, and neither is the time
 * after close() (the fleet stopping).
 */
export interface SessionClockReading {
  online: boolean
  /** Total time with no bound session, including a gap still open. */
  offlineMs: number
  /** How many times the user went from bound to unbound. */
  gaps: number
  longestGapMs: number
  lastBoundAt: number | null
}

export class SessionClock {
  readonly #bound = new Set<object>()
  #offlineSince: number | null = null
  #offlineMs = 0
  #gaps = 0
  #longest = 0
  #lastBoundAt: number | null = null
  #closed = false

  constructor(private readonly now: () => number) {}

  /** `session` bound its resource. */
  bound(session: object, at = this.now()): void {
    if (this.#closed || this.#bound.has(session)) return
    this.#bound.add(session)
    this.#lastBoundAt = at
    if (this.#offlineSince !== null) {
      this.#addGap(Math.max(0, at - this.#offlineSince))
      this.#offlineSince = null
    }
  }

  /** `session` is over; `at` may be earlier than now (an end learnt late). */
  unbound(session: object, at = this.now()): void {
    if (this.#closed || !this.#bound.delete(session)) return
    if (this.#bound.size === 0) this.#offlineSince = at
  }

  /** Stop counting (the fleet is closing its sessions on purpose). */
  close(at = this.now()): void {
    if (this.#closed) return
    if (this.#offlineSince !== null) this.#addGap(Math.max(0, at - this.#offlineSince))
    this.#offlineSince = null
    this.#closed = true
    this.#bound.clear()
  }

  read(at = this.now()): SessionClockReading {
    const open = this.#offlineSince === null ? 0 : Math.max(0, at - this.#offlineSince)
    return {
      online: this.#bound.size > 0,
      offlineMs: this.#offlineMs + open,
      gaps: this.#gaps + (this.#offlineSince === null ? 0 : 1),
      longestGapMs: Math.max(this.#longest, open),
      lastBoundAt: this.#lastBoundAt,
    }
  }

  #addGap(ms: number): void {
    this.#offlineMs += ms
    this.#gaps += 1
    this.#longest = Math.max(this.#longest, ms)
  }
}
