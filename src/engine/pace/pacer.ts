/**
 * What the transfer engine awaits before each move (one packet, handover, redirect or
 * close), and what it tells the pacer back. Time is the run's injected clock, so a
 * pacer runs the same on the system clock and on a simulated one.
 */

/** How one move ended, as the engine learnt it. */
export type MoveEnd =
  /**
   * Seen on a node other than its source. `at`: when the directory listing that saw it began
   * (its snapshot), if not now; every move seen by one listing carries the same `at`.
   */
  | {kind: 'landed'; at?: number}
  /** The client said no (an error answer): it stays where it is, and no node did a login for it. */
  | {kind: 'refused'}
  /** The cluster did not take it: its login failed, or after the wait it was offline or still on its source. */
  | {kind: 'failed'}
  /** Nothing to learn from it (sent as the domain with no tracking, the run stopped): only frees its slot. */
  | {kind: 'unobserved'}
  /**
   * The server ended the session's stream (a handover, a redirect, a close) and the client
   * reconnects when its own delay says (0.3-3.3 s measured, 30 s in Profanity): when it lands
   * tells of that delay, not of a queue on the targets, so it only frees its slot. Judged by
   * landing time, one ordinary client's reconnect delay read as a queue and halved the pace
   * down to ~1 move/s (docs/performance.md, finding 14).
   */
  | {kind: 'handed-off'}

/** One started move: the engine settles it exactly once (later calls are ignored). */
export interface Move {
  /** 1, 2, 3… in the order the pacer let them start. */
  readonly id: number
  /** Clock time (ms) the pacer let it start. */
  readonly startedAt: number
  settle(end: MoveEnd): void
}

/** Feedback about the cluster that belongs to no single move. */
export type PaceSignal =
  /** Logins that failed on the targets, learnt outside a move (the helper's report, a server counter). */
  | {kind: 'failed-logins'; count: number}
  /**
   * A session whose move was settled `handed-off` was seen on a target: `handedOffAt` when the
   * server took the move, `seenAt` when the listing that saw it began. That is the client's own
   * reconnect delay plus its login or resumption on the target: a drain of clients that only the
   * ladder moves has no other news of the targets' queue.
   */
  | {kind: 'reconnected'; handedOffAt: number; seenAt: number}

/** Why the pace is what it is at a sample. */
export type PaceReason =
  /** The first sample; a fixed pacer has no other. */
  | 'start'
  /** No queue on the targets: faster (doubling until the first sign of a queue, then by steps). */
  | 'raise'
  /** A small queue, as wanted: unchanged. */
  | 'hold'
  /** Moves took longer than the targets' unloaded latency allows: slower, by how much longer. */
  | 'queue'
  /** Moves failed, or stayed unseen far past the usual latency: much slower. */
  | 'loss'
  /** Held at the operator's maximum. */
  | 'cap'

/** The pace at one moment, for the progress line and the report. */
export interface PaceSample {
  /** Clock time (ms). */
  at: number
  /** Moves per second allowed from then on. */
  rate: number
  /** Moves allowed in flight (started, not settled) at once. */
  window: number
  inFlight: number
  /** The recent move latency the decision used (start to the listing that saw it land), or null before any landed. */
  latencyMs: number | null
  /** The latency of moves that met no queue, as estimated then, or null. */
  baseMs: number | null
  reason: PaceReason
}

export interface Pacer {
  /**
   * Resolves when the next move may start, in call order, at most `rate` per second and with
   * at most `window` in flight. Rejects with PacerStopped once `stop()` was called.
   */
  acquire(): Promise<Move>
  observe(signal: PaceSignal): void
  /** Moves per second allowed now. */
  readonly rate: number
  /** Moves started and not settled (nor written off as lost). */
  readonly inFlight: number
  /** How the pace changed, oldest first: a sample when the reason changes, at most one a second while it stays. */
  readonly history: readonly PaceSample[]
  /** Rejects every waiting and later `acquire()`; moves already started may still be settled. */
  stop(): void
}

/** `acquire()` after (or waiting at) `stop()`: the move must not start. */
export class PacerStopped extends Error {
  constructor() {
    super('the pacer was stopped: no more moves start')
    this.name = 'PacerStopped'
  }
}
