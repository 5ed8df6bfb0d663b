import type {Clock} from '../../src/model/clock.js'

export interface SimulatedClusterOptions {
  clock: Clock
  /** Seeded: the same run gives the same figures. */
  random: () => number
  /** Moves a second the targets can take together (a move is a login plus a replaced session). */
  capacity: number
  /** Logins served at once (the lab's 2 cores); each takes workers / capacity s of server time. */
  workers?: number
  /** From the move's start to its login reaching a target: the packet, the client's own work, the connect. */
  clientDelayMs?: readonly [number, number]
  /** A login queued longer than this fails: the client gave up (xmpp.js's 2 s per step, finding 4). */
  loginTimeoutMs?: number
  /**
   * Server time a login whose client gave up still costs, as a share of a served one. A
   * client that gave up waiting for the stream to open never sent its credentials, so the
   * PBKDF2 is spared; one that gave up later was not. 0.5 is a guess between the two, not a
   * measurement; 1 is congestion collapse at its worst.
   */
  abandonedCost?: number
  /** The engine's tracking: a directory listing every `pollMs`… */
  pollMs?: number
  /** …taking this long on an idle cluster (connected_users_info at 2,000 sessions: 80-180 ms)… */
  listingMs?: number
  /** …plus this share of the targets' current queue wait (listings under a login storm took up to 23 s). */
  listingLoad?: number
  /** When the engine learns a move failed, from its start: only at its --wait (the session is still on its source). */
  failureSeenAfterMs?: number
}

/** What the engine learns about one move, and when. */
export type SimulatedMoveResult =
  /** `polledAt`: when the listing that saw it began; `seenAt`: when it answered. */
  {kind: 'landed'; boundAt: number; polledAt: number; seenAt: number} | {kind: 'failed'; gaveUpAt: number; seenAt: number}

interface Login {
  arrivedAt: number
  startedAt: number
  resolve: (result: SimulatedMoveResult) => void
}

interface Bound {
  boundAt: number
  startedAt: number
  resolve: (result: SimulatedMoveResult) => void
}

export interface ClusterFigures {
  started: number
  landed: number
  failed: number
  /** Most logins waiting at once. */
  peakQueue: number
  /** Longest a login waited for a worker (ms)… */
  peakWaitMs: number
  /** …and in each whole second of the run, by when its wait ended. */
  peakWaitPerSecond: number[]
  /** When each landed move bound on its target, in order. */
  boundTimes: number[]
  /** When each failed move's client gave up. */
  failedTimes: number[]
}

/**
 * A cluster's targets under moves, on a virtual clock: each move's login reaches the targets
 * after the client's own delay, waits in one FIFO queue for one of `workers`, and binds after
 * its service time. Latency grows with the queue; a login that waited past `loginTimeoutMs`
 * fails, like ejabberd under a login storm (fresh-login floor ~130/s on the lab; a move costs
 * more). The engine sees a bind only at the end of the next directory listing, and a listing
 * is slow when the targets are busy, as on the lab. Capacity can change mid-run.
 */
export class SimulatedCluster {
  readonly #clock: Clock
  readonly #random: () => number
  #capacity: number
  readonly #workers: number
  readonly #clientDelayMs: readonly [number, number]
  readonly #loginTimeoutMs: number
  readonly #abandonedCost: number
  readonly #pollMs: number
  readonly #listingMs: number
  readonly #listingLoad: number
  readonly #failureSeenAfterMs: number

  readonly #queue: Login[] = []
  #queueHead = 0
  #busy = 0
  readonly #unseen: Bound[] = []
  #unseenHead = 0
  #travelling = 0
  #polling = false
  readonly #figures: ClusterFigures = {started: 0, landed: 0, failed: 0, peakQueue: 0, peakWaitMs: 0, peakWaitPerSecond: [], boundTimes: [], failedTimes: []}

  constructor(options: SimulatedClusterOptions) {
    this.#clock = options.clock
    this.#random = options.random
    this.#capacity = options.capacity
    this.#workers = options.workers ?? 2
    this.#clientDelayMs = options.clientDelayMs ?? [20, 60]
    this.#loginTimeoutMs = options.loginTimeoutMs ?? 2_000
    this.#abandonedCost = options.abandonedCost ?? 0.5
    this.#pollMs = options.pollMs ?? 250
    this.#listingMs = options.listingMs ?? 100
    this.#listingLoad = options.listingLoad ?? 1
    this.#failureSeenAfterMs = options.failureSeenAfterMs ?? 60_000
  }

  get capacity(): number {
    return this.#capacity
  }

  setCapacity(capacity: number): void {
    this.#capacity = capacity
  }

  get figures(): Readonly<ClusterFigures> {
    return this.#figures
  }

  /** Logins waiting for a worker now. */
  get queued(): number {
    return this.#queue.length - this.#queueHead
  }

  /** Resolves when the engine would learn how the move ended. */
  move(): Promise<SimulatedMoveResult> {
    this.#figures.started += 1
    const startedAt = this.#clock.now()
    const [low, high] = this.#clientDelayMs
    const delay = low + this.#random() * (high - low)
    this.#travelling += 1
    this.#startPolling()
    return new Promise<SimulatedMoveResult>((resolve) => {
      void this.#clock.sleep(delay).then(() => this.#arrive({arrivedAt: this.#clock.now(), startedAt, resolve}))
    })
  }

  #arrive(login: Login): void {
    this.#queue.push(login)
    this.#figures.peakQueue = Math.max(this.#figures.peakQueue, this.queued)
    this.#serveNext()
  }

  #serveNext(): void {
    while (this.#busy < this.#workers && this.queued > 0) {
      const login = this.#queue[this.#queueHead]!
      this.#queue[this.#queueHead++] = undefined as unknown as Login
      if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#queueHead)
        this.#queueHead = 0
      }
      const now = this.#clock.now()
      const waited = now - login.arrivedAt
      this.#figures.peakWaitMs = Math.max(this.#figures.peakWaitMs, waited)
      const second = Math.floor(now / 1000)
      const perSecond = this.#figures.peakWaitPerSecond
      while (perSecond.length <= second) perSecond.push(0)
      perSecond[second] = Math.max(perSecond[second]!, waited)
      // ±20 % per login: PBKDF2 is steady, the rest of a login (roster, presence, the replaced session) is not.
      const service = ((this.#workers * 1000) / this.#capacity) * (0.8 + 0.4 * this.#random())
      const gaveUp = waited > this.#loginTimeoutMs
      this.#busy += 1
      void this.#clock.sleep(gaveUp ? service * this.#abandonedCost : service).then(() => {
        this.#busy -= 1
        if (gaveUp) this.#fail(login)
        else this.#bind(login)
        this.#serveNext()
      })
    }
  }

  #fail(login: Login): void {
    this.#travelling -= 1
    const gaveUpAt = login.arrivedAt + this.#loginTimeoutMs
    this.#figures.failed += 1
    this.#figures.failedTimes.push(gaveUpAt)
    const seenAt = Math.max(this.#clock.now(), login.startedAt + this.#failureSeenAfterMs)
    void this.#clock.sleep(seenAt - this.#clock.now()).then(() => login.resolve({kind: 'failed', gaveUpAt, seenAt}))
  }

  #bind(login: Login): void {
    this.#travelling -= 1
    const boundAt = this.#clock.now()
    this.#figures.landed += 1
    this.#figures.boundTimes.push(boundAt)
    this.#unseen.push({boundAt, startedAt: login.startedAt, resolve: login.resolve})
  }

  /** The queue's current wait: what a listing stands behind on a busy target. */
  #queueWaitMs(): number {
    const head = this.#queue[this.#queueHead]
    return head ? this.#clock.now() - head.arrivedAt : 0
  }

  /** The engine's watcher: polls while anything is unseen, slower when listings are slow (at most 5 s apart). */
  #startPolling(): void {
    if (this.#polling) return
    this.#polling = true
    void (async () => {
      let lastListingMs = 0
      while (this.#travelling > 0 || this.#unseen.length > this.#unseenHead) {
        await this.#clock.sleep(Math.max(this.#pollMs, Math.min(lastListingMs, 5_000)))
        const snapshotAt = this.#clock.now()
        lastListingMs = this.#listingMs + this.#listingLoad * this.#queueWaitMs()
        await this.#clock.sleep(lastListingMs)
        const seenAt = this.#clock.now()
        while (this.#unseen.length > this.#unseenHead && this.#unseen[this.#unseenHead]!.boundAt <= snapshotAt) {
          const bound = this.#unseen[this.#unseenHead]!
          this.#unseen[this.#unseenHead++] = undefined as unknown as Bound
          bound.resolve({kind: 'landed', boundAt: bound.boundAt, polledAt: snapshotAt, seenAt})
        }
        if (this.#unseenHead > 1024 && this.#unseenHead * 2 > this.#unseen.length) {
          this.#unseen.splice(0, this.#unseenHead)
          this.#unseenHead = 0
        }
      }
      this.#polling = false
    })()
  }
}
