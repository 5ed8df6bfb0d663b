import {type XmppClient} from '@xmpp/client'

import {asError, TlsDowngradeError} from '../errors.js'
import {type SessionTarget} from '../target.js'
import {bounded} from '../timer.js'
import {abandon, askForResource, beforeLogin, closeGracefully, reconnectIsActive, retarget} from '../xmpp-internals.js'
import {type MoveDeps, type MoveOutcome} from './outcome.js'
import {watchEnding} from './stream-ending.js'

/**
 * How break-before-make gets the session back up once the old stream is closing. Three
 * variants, picked from what the app gave the helper (see `variantFor`).
 */
interface Reopen {
  /** At the new place; `closed` settles when the old stream is gone. */
  forward(to: SessionTarget, closed: Promise<void>): Promise<XmppClient>
  /** After a failure (the old stream is gone): where the session was. */
  back(from: SessionTarget): Promise<XmppClient>
  /** The clients it returns come from the app's connect() (their reconnect is the app's business). */
  fromApp: boolean
}

/**
 * Break-before-make: close the old stream gracefully, then the session binds at the new
 * place with the same resource; the two streams never overlap. If that fails, log in
 * again where the session was.
 */
export async function breakBeforeMake(old: XmppClient, from: SessionTarget, to: SessionTarget, deps: MoveDeps): Promise<MoveOutcome> {
  // An encrypted session moves only to an encrypted one. The old stream closes before the
  // new login, so ask first: if the new place offers no TLS (or cannot be reached), the
  // session stays as it is. The new login refuses plain TCP as well, whatever changed since.
  const requireTls = old.isSecure()
  if (requireTls) {
    try {
      if (!(await deps.offersTls(to, old))) return {kind: 'failed', error: new TlsDowngradeError(to.service), client: old}
    } catch (error) {
      return {kind: 'failed', error: asError(error), client: old}
    }
  }
  const hadReconnect = reconnectIsActive(old)
  old.reconnect.stop()
  const ending = watchEnding(old)
  const reopen = variantFor(old, deps, requireTls)
  const closed = closeGracefully(old, deps.timeout, deps.timer).finally(() => ending.release())
  let current: XmppClient
  try {
    current = await reopen.forward(to, closed)
  } catch (error) {
    await closed
    // The old session is gone already: try to be back where we were.
    let back: XmppClient = old
    if (!deps.signal.aborted) {
      try {
        back = await reopen.back(from)
      } catch {
        // Not back either: transfer-failed says so (online: false).
      }
    }
    deps.handOver(old, back, hadReconnect, back !== old && reopen.fromApp)
    return {kind: 'failed', error: asError(error), client: back}
  }
  const boundAt = deps.timer.now()
  deps.handOver(old, current, hadReconnect, current !== old && reopen.fromApp)
  return {kind: 'moved', client: current, previous: old, boundAt, oldStream: 'closed'}
}

function variantFor(old: XmppClient, deps: MoveDeps, requireTls: boolean): Reopen {
  if (deps.opensWithConnect) return connectAfterClose(old, deps, requireTls)
  if (deps.hasCredentials) return loginWhileClosing(old, deps, requireTls)
  return sameClient(old, deps, requireTls)
}

/**
 * With credentials: a new client (a clone) connects and authenticates while the old
 * stream closes, and sends its resource binding only once the old stream is closed. The
 * gap is the close and the bind, not a whole login. Back: the old object logs in again.
 */
function loginWhileClosing(old: XmppClient, deps: MoveDeps, requireTls: boolean): Reopen {
  const resource = old.jid?.resource ?? ''
  return {
    forward: (to, closed) => deps.open(to, old, {resource, bindAfter: closed, requireTls}),
    back: (from) => restart(old, from, resource, deps, requireTls),
    fromApp: false,
  }
}

/** With the app's connect(): it opens the new session once the old stream is closed. */
function connectAfterClose(old: XmppClient, deps: MoveDeps, requireTls: boolean): Reopen {
  const resource = old.jid?.resource ?? ''
  return {
    forward: async (to, closed) => {
      await closed
      return deps.open(to, old, {resource, requireTls})
    },
    back: (from) => deps.open(from, old, {resource, requireTls, signal: new AbortController().signal}),
    fromApp: true,
  }
}

/** Without credentials or connect(): the same client object logs in again (xmpp.js still holds the credentials). */
function sameClient(old: XmppClient, deps: MoveDeps, requireTls: boolean): Reopen {
  const resource = old.jid?.resource ?? ''
  return {
    forward: async (to, closed) => {
      await closed
      return restart(old, to, resource, deps, requireTls, deps.signal)
    },
    back: (from) => restart(old, from, resource, deps, requireTls),
    fromApp: false,
  }
}

/** Log the same object in at `target`, asking for the old resource even if the server had assigned it. */
async function restart(
  client: XmppClient,
  target: SessionTarget,
  resource: string,
  deps: MoveDeps,
  requireTls: boolean,
  signal = new AbortController().signal,
): Promise<XmppClient> {
  const undoTarget = retarget(client, target)
  const undoResource = askForResource(client, resource)
  const undoTls = requireTls
    ? beforeLogin(client, (secure) => {
        if (!secure) throw new TlsDowngradeError(target.service)
      })
    : () => {}
  const swallow = () => {}
  client.on('error', swallow)
  try {
    await bounded(client.start(), deps.timeout, signal, `login at ${target.service}`, deps.timer)
    return client
  } catch (error) {
    await abandon(client, deps.timer)
    undoTarget()
    throw error
  } finally {
    client.off('error', swallow)
    undoTls()
    undoResource()
  }
}
