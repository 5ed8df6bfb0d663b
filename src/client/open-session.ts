import {client as createClient, type ClientOptions, type XmppClient} from '@xmpp/client'

import {type SessionTarget} from './target.js'
import {bounded, type Timer} from './timer.js'
import {TlsDowngradeError} from './errors.js'
import {abandon, beforeLogin, dropDataAfterStreamEnd, holdBind, startUntilOnline, unwrapIPv6Hosts} from './xmpp-internals.js'

/** The same credentials the app gave @xmpp/client: a password (username from the JID), or its credentials function. */
export type Credentials = {username?: string; password: string} | NonNullable<ClientOptions['credentials']>

export interface ConnectContext {
  /** The resource to bind: the one the moving session has now. */
  resource: string
  /** Aborted when the helper stops waiting (timeout, stop()); close whatever you opened. */
  signal: AbortSignal
  /** The client being moved (still online in make-before-break). */
  previous: XmppClient
  /**
   * The session being moved is encrypted: open the new one encrypted too. The helper
   * refuses (and closes) a client you deliver whose isSecure() is false.
   */
  secure: boolean
}

/**
 * Opens and authenticates a session at `service`, logging in to `domain` with the same
 * account and `context.resource`; resolves once it is online (resource bound).
 */
export type ConnectFn = (service: string, domain: string, context: ConnectContext) => Promise<XmppClient>

export interface CloneOptions {
  credentials: Credentials
  /** Called on every new client before it connects: attach the app's listeners here. */
  prepare?: (client: XmppClient) => void
  /** Called before prepare: the helper's own handlers. */
  adopt: (client: XmppClient) => void
  timeout: number
  timer: Timer
  /** Break-before-make: log in now, but bind the resource only once this settles (the old stream is gone). */
  bindAfter?: Promise<unknown>
  /** How a client is made (tests hand out fakes); @xmpp/client's `client()` by default. */
  create?: (options: ClientOptions) => XmppClient
}

/** Refuse, before anything of it is written, a login on a stream that is not encrypted. */
function requireTls(client: XmppClient, service: string): () => void {
  return beforeLogin(client, (secure) => {
    if (!secure) throw new TlsDowngradeError(service)
  })
}

/**
 * The default way to open the new session: a new @xmpp/client with the old one's options
 * (what xmpp.js lets us read back: `options` holds service, domain, lang, timeout; `jid`
 * the bound user and resource) plus the credentials the app handed the helper, which
 * xmpp.js keeps in a closure and never exposes. Reconnect stays off until the move commits.
 */
export function cloneClient(target: SessionTarget, context: ConnectContext, options: CloneOptions): Promise<XmppClient> {
  const {previous, resource, signal} = context
  const account = previous.jid
  if (!account) return Promise.reject(new Error('the session to move has no bound JID'))
  const credentials = options.credentials
  const login: ClientOptions =
    typeof credentials === 'function'
      ? {username: account.local, credentials}
      : {username: credentials.username ?? account.getLocal(true), password: credentials.password}
  // xmpp.js bounds each step (open, close) by its own `timeout`, 2 s unless set: a busy target
  // answers later than that, so an app that set none gets the helper's bound for the new login.
  const inherited = previous.options as ClientOptions
  const create = options.create ?? createClient
  const fresh = create({...inherited, ...login, service: target.service, domain: target.domain, resource, timeout: inherited.timeout ?? options.timeout})
  fresh.reconnect.stop()
  unwrapIPv6Hosts(fresh)
  // The helper made this client, so no one else may listen for its errors: an 'error'
  // event without a listener throws, an uncaughtException in the app (a kick's
  // <conflict/>, a reconnect that fails, or a login error, which also rejects start()).
  // This listener stays for the client's life; the app's own (from prepare) hear them all.
  fresh.on('error', ignoreUnheardError)
  // Data after a stream error would throw from xmpp.js's socket listener (see the adapter).
  dropDataAfterStreamEnd(fresh)
  options.adopt(fresh)
  options.prepare?.(fresh)
  const holding = options.bindAfter ? holdBind(fresh, options.bindAfter) : () => {}
  const guarding = context.secure ? requireTls(fresh, target.service) : () => {}
  const release = () => {
    holding()
    guarding()
  }
  // Online is what counts, even if start() has not resolved (xmpp-internals: startUntilOnline).
  return bounded(startUntilOnline(fresh), options.timeout, signal, `login at ${target.service}`, options.timer).then(
    () => {
      release()
      return fresh
    },
    async (error) => {
      release()
      await abandon(fresh, options.timer)
      throw error
    },
  )
}

export interface ProbeOptions {
  /** The account, for the stream's `from` (nothing of it is sent in clear: the probe stops before the login). */
  username: string
  timeout: number
  timer: Timer
  signal: AbortSignal
  create?: (options: ClientOptions) => XmppClient
}

class ProbeDone extends Error {}

/**
 * Whether a session opened at `target` would be encrypted: a client connects, negotiates
 * STARTTLS if the server offers it (the certificate checked against the domain, as for a
 * real login) and is dropped at the moment it would authenticate. Rejects if it cannot get
 * that far (refused, unreachable, certificate not trusted, timeout). Break-before-make of
 * an encrypted session asks this before it closes the old stream.
 */
export async function offersTls(target: SessionTarget, options: ProbeOptions): Promise<boolean> {
  const create = options.create ?? createClient
  const probe = create({service: target.service, domain: target.domain, username: options.username, timeout: options.timeout})
  probe.reconnect.stop()
  unwrapIPv6Hosts(probe)
  probe.on('error', ignoreUnheardError)
  dropDataAfterStreamEnd(probe)
  let secure: boolean | undefined
  const undo = beforeLogin(probe, (encrypted) => {
    secure = encrypted
    throw new ProbeDone('stopped before the login')
  })
  try {
    await bounded(probe.start(), options.timeout, options.signal, `TLS check at ${target.service}`, options.timer)
    secure = probe.isSecure()
  } catch (error) {
    if (secure === undefined) throw error
  } finally {
    undo()
    await abandon(probe, options.timer)
  }
  return secure
}

function ignoreUnheardError(): void {}

/**
 * An app-supplied factory, bounded; a client it delivers after the helper gave up is
 * closed, and so is an unencrypted one when the session was encrypted.
 */
export async function connectWith(
  factory: ConnectFn,
  target: SessionTarget,
  context: ConnectContext,
  timeout: number,
  controller: AbortController,
  timer: Timer,
): Promise<XmppClient> {
  const opening = factory(target.service, target.domain, context)
  let client: XmppClient
  try {
    client = await bounded(opening, timeout, context.signal, `connect(${target.service})`, timer)
  } catch (error) {
    controller.abort(error)
    opening.then(
      (late) => abandon(late, timer),
      () => {},
    )
    throw error
  }
  if (context.secure && !client.isSecure()) {
    await abandon(client, timer)
    throw new TlsDowngradeError(target.service)
  }
  return client
}
