import {type XmppClient} from '@xmpp/client'

import {type Transferred} from '../events.js'
import {type SessionTarget} from '../target.js'
import {type Timer} from '../timer.js'

/** What a move strategy ends with. */
export type MoveOutcome =
  | {
      kind: 'moved'
      /** The client carrying the session now. */
      client: XmppClient
      previous: XmppClient
      /** When the new session was bound (timer time). */
      boundAt: number
      oldStream: Transferred['oldStream']
    }
  | {
      kind: 'failed'
      error: Error
      /** The client carrying the session now (the old one, or one reopened where it was). */
      client: XmppClient
    }

export interface OpenOptions {
  /** Default: the resource `previous` has bound. */
  resource?: string
  /** Default: the move's signal (stop()). */
  signal?: AbortSignal
  /** Log in now, bind the resource only once this settles (a clone only). */
  bindAfter?: Promise<unknown>
  /** The session is encrypted: refuse a new one that is not (TlsDowngradeError), before it logs in if the helper opens it. */
  requireTls?: boolean
}

/** What a strategy needs from the follower; everything with a clock goes through `timer`. */
export interface MoveDeps {
  timer: Timer
  /** Aborted by the follower's stop(). */
  signal: AbortSignal
  timeout: number
  /**
   * Open a new session at `target` for the account of `previous`: the app's connect(), or
   * a clone of `previous` with the app's credentials. Rejects if it cannot be made.
   */
  open(target: SessionTarget, previous: XmppClient, options?: OpenOptions): Promise<XmppClient>
  /**
   * Whether a session opened at `target` would be encrypted (a connection that stops
   * before the login); rejects if it cannot get that far.
   */
  offersTls(target: SessionTarget, previous: XmppClient): Promise<boolean>
  /** `open` calls the app's connect(); otherwise it clones (and needs `credentials`). */
  opensWithConnect: boolean
  /** The app gave credentials, so a clone can be opened. */
  hasCredentials: boolean
  /**
   * `next` carries the session from now on (the follower's `client` changes when it is a
   * new object), with auto-reconnect as the app wants it. Called once per move that
   * succeeds, and by break-before-make after a failure, before the strategy finishes.
   */
  handOver(previous: XmppClient, next: XmppClient, hadReconnect: boolean, nextFromApp: boolean): void
}
