import {type XmppClient} from '@xmpp/client'

import {asError, NewSessionEndedError, OldSessionKeptError} from '../errors.js'
import {SAME_SECOND_MS} from '../options.js'
import {type SessionTarget} from '../target.js'
import {abandon, closeGracefully, reconnectIsActive, resumeReconnect} from '../xmpp-internals.js'
import {type MoveDeps, type MoveOutcome} from './outcome.js'
import {isConflict, settle, watchEnding} from './stream-ending.js'

/** New sessions tried per move. */
const MAX_ATTEMPTS = 2

export interface MakeBeforeBreakDeps extends MoveDeps {
  /** Once the new session is bound, how long to wait for the server to end one of the two streams. */
  conflictWait: number
  /** Open the new session no sooner than this long after the old one bound. */
  minSessionAge: number
  /** When `client`'s session bound, if known. */
  boundAt(client: XmppClient): number | undefined
}

/**
 * Make-before-break: open the new session with the same resource while the old one is
 * up, let the server replace the old one (ejabberd: `<conflict/>`), or close it ourselves
 * if the server keeps both. If the server keeps the old one instead, try once more in a
 * later second. On failure the old session is left as it was, auto-reconnect included.
 */
export async function makeBeforeBreak(old: XmppClient, to: SessionTarget, deps: MakeBeforeBreakDeps): Promise<MoveOutcome> {
  const {timer, signal} = deps
  // An encrypted session moves only to an encrypted one: the clone refuses to log in
  // without TLS, so the old session stays and the credentials never go in clear.
  const requireTls = old.isSecure()
  const hadReconnect = reconnectIsActive(old)
  // Reconnect would log the old client in again with the same resource and kick the new session.
  old.reconnect.stop()
  const oldEnding = watchEnding(old)
  const failed = (error: unknown): MoveOutcome => {
    oldEnding.release()
    if (hadReconnect) resumeReconnect(old)
    return {kind: 'failed', error: asError(error), client: old}
  }
  // ejabberd keeps the session with the greatest {wall-clock second, per-node counter}:
  // within one second, across nodes, it may keep the OLD one. Let the old one age first.
  await timer.sleep(untilAged(deps.boundAt(old), deps.minSessionAge, timer.now()), signal)
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return failed(signal.reason)
    const opening = timer.now()
    let fresh: XmppClient
    try {
      fresh = await deps.open(to, old, {requireTls})
    } catch (error) {
      // The server replaced the new session while it was binding: it kept the old one.
      if (!isConflict(error) || attempt >= MAX_ATTEMPTS) return failed(isConflict(error) ? new OldSessionKeptError() : error)
      await timer.sleep(Math.max(0, SAME_SECOND_MS - (timer.now() - opening)), signal)
      continue
    }
    const boundAt = timer.now()
    const freshEnding = watchEnding(fresh)
    const verdict = await settle(oldEnding, freshEnding, deps.conflictWait, timer)
    if (verdict === 'new-ended') {
      // The server kept the old session (or the new one died at once): the old one is
      // still up. Once more, in a later second, then give up.
      await abandon(fresh, timer)
      if (attempt >= MAX_ATTEMPTS) return failed(freshEnding.conflict ? new OldSessionKeptError() : new NewSessionEndedError())
      await timer.sleep(Math.max(0, SAME_SECOND_MS - (timer.now() - boundAt)), signal)
      continue
    }
    deps.handOver(old, fresh, hadReconnect, deps.opensWithConnect)
    freshEnding.release()
    // The old client keeps the ending watcher: errors of its last moments (ECONNRESET
    // after the conflict) must not throw. It finishes closing on its own.
    if (oldEnding.conflict) return {kind: 'moved', client: fresh, previous: old, boundAt, oldStream: 'conflict'}
    if (verdict === 'old-ended') return {kind: 'moved', client: fresh, previous: old, boundAt, oldStream: 'gone'}
    // A server that keeps both sessions: close the old one politely.
    await closeGracefully(old, deps.timeout, timer)
    return {kind: 'moved', client: fresh, previous: old, boundAt, oldStream: oldEnding.conflict ? 'conflict' : 'closed'}
  }
}

/** How long until a session bound at `boundAt` is older than the server's one-second tie-break. */
function untilAged(boundAt: number | undefined, minSessionAge: number, now: number): number {
  if (boundAt === undefined) return 0
  return Math.max(0, Math.min(minSessionAge, boundAt + minSessionAge - now))
}
