// Every place where xtransfer reaches into @xmpp/client below its public API, in one file.
// Each touch was checked against @xmpp/client 0.14.0 (and the @xmpp/* 0.14.0 packages it
// pulls in) and says why it is needed. On an upgrade of @xmpp/client, re-check this file
// (test/unit/xmpp-internals.test.ts runs each touch on a real 0.14 client) and nothing else.
import {Socket as NetSocket} from 'node:net'

import {xml, type XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

import {systemTimer, type Timer} from './timer.js'

const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
const NS_SASL2 = 'urn:xmpp:sasl:2'
const NS_SM = 'urn:xmpp:sm:3'
const GONE = ['disconnect', 'offline']

// --- @xmpp/reconnect ------------------------------------------------------------------

/**
 * Whether @xmpp/reconnect is listening on this client. 0.14.0: Reconnect keeps no flag;
 * start() adds its private field `#onDisconnect` as a 'disconnect' listener, and V8 names
 * that function '#onDisconnect'. The move must know whether the app had reconnect on, to
 * give the client carrying the session the same after the move.
 */
export function reconnectIsActive(client: XmppClient): boolean {
  return client.listeners('disconnect').some((listener) => (listener as {name?: string}).name === '#onDisconnect')
}

/**
 * Turn @xmpp/reconnect back on. 0.14.0: start() only listens for the next 'disconnect';
 * a disconnect that happened while it was stopped scheduled nothing, so we call its
 * (undocumented) scheduleReconnect() ourselves.
 */
export function resumeReconnect(client: XmppClient): void {
  client.reconnect.start()
  if (client.status === 'disconnect') client.reconnect.scheduleReconnect()
}

// --- @xmpp/connection's open() ----------------------------------------------------------

/**
 * client.start(), resolved as soon as the client is online. 0.14.0: open() starts listening
 * for the server's stream header only once its own header's write has called back; when the
 * answer is parsed before that (a loaded machine), start() waits out its timeout and rejects
 * although the login goes on and binds. Rejects as start() does otherwise. The admin's login
 * (src/connection/admin-session.ts) and the helper's clones both start this way.
 */
export function startUntilOnline(client: XmppClient): Promise<void> {
  const online = new Promise<void>((resolve) => client.once('online', () => resolve()))
  return Promise.race([client.start().then(() => {}), online])
}

// --- where a client connects ----------------------------------------------------------

/**
 * 0.14.0 hands `[2001:db8::1]` to net.connect with its brackets (@xmpp/connection-tcp's
 * socketParameters unwraps only `[::1]`), and the DNS lookup fails. We override the
 * client's socketParameters (a method xmpp.js's transports define and connect() calls).
 */
export function unwrapIPv6Hosts(client: XmppClient): void {
  if (Object.getOwnPropertyDescriptor(client, 'socketParameters')) return
  const original = client.socketParameters
  client.socketParameters = function socketParameters(service: string) {
    const params = original.call(this, service)
    if (params && params.host.startsWith('[') && params.host.endsWith(']')) params.host = params.host.slice(1, -1)
    return params
  }
}

/**
 * Point the client's next start() at another service and domain. 0.14.0: start() and
 * @xmpp/reconnect read `options.service` and `options.domain` each time; there is no
 * setter. Used by break-before-make on the same client object (xmpp.js keeps the
 * credentials in a closure, so that object is the only one that can log in again).
 * Returns the undo.
 */
export function retarget(client: XmppClient, target: {service: string; domain: string}): () => void {
  const {service, domain} = client.options
  client.options.service = target.service
  client.options.domain = target.domain
  unwrapIPv6Hosts(client)
  return () => Object.assign(client.options, {service, domain})
}

// --- what the client sends ------------------------------------------------------------

type SendInspector = (element: Element) => void | Promise<unknown>
const inspectors = new WeakMap<XmppClient, {list: SendInspector[]; restore(): void}>()

/**
 * Let `inspect` see (change, delay or refuse by throwing) each element before it is
 * written. 0.14.0: resource binding and SASL send through the entity's send(), which has
 * no hook; we replace it with an own property (one per client, however many inspectors)
 * and put the prototype's back when the last inspector is removed. Returns the undo.
 */
function inspectSends(client: XmppClient, inspect: SendInspector): () => void {
  let entry = inspectors.get(client)
  if (!entry) {
    const hadOwn = Object.prototype.hasOwnProperty.call(client, 'send')
    const original = client.send
    const list: SendInspector[] = []
    client.send = async function send(element: Element, ...rest: unknown[]) {
      for (const each of [...list]) {
        const pending = each(element)
        if (pending) await pending
      }
      return (original as (...args: unknown[]) => Promise<void>).call(this, element, ...rest)
    }
    entry = {
      list,
      restore: () => {
        if (hadOwn) client.send = original
        else delete (client as {send?: unknown}).send
      },
    }
    inspectors.set(client, entry)
  }
  const own = entry
  own.list.push(inspect)
  return () => {
    const index = own.list.indexOf(inspect)
    if (index !== -1) own.list.splice(index, 1)
    if (own.list.length === 0 && inspectors.get(client) === own) {
      own.restore()
      inspectors.delete(client)
    }
  }
}

function onBind(client: XmppClient, handle: (bind: Element) => void | Promise<unknown>): () => void {
  return inspectSends(client, (element) => {
    const bind = element.name === 'iq' && element.attrs.type === 'set' ? element.getChild('bind', NS_BIND) : undefined
    return bind ? handle(bind) : undefined
  })
}

/**
 * Make the next resource binding ask for `resource` when the client would let the server
 * pick one (no `resource` option: xmpp.js does not expose the option, only the bound JID).
 * Returns the undo.
 */
export function askForResource(client: XmppClient, resource: string): () => void {
  if (!resource) return () => {}
  return onBind(client, (bind) => {
    if (!bind.getChild('resource')) bind.append(xml('resource', {}, resource))
  })
}

/**
 * Hold the client's resource binding until `gate` settles: the connection, TLS and the
 * authentication go ahead, the bind iq waits. Returns the undo.
 */
export function holdBind(client: XmppClient, gate: Promise<unknown>): () => void {
  return onBind(client, () => gate.catch(() => {}))
}

/**
 * Let `inspect` see each login attempt before anything of it is written: the SASL `<auth>`
 * (RFC 6120) or SASL2 `<authenticate>` (XEP-0388), with whether the stream is encrypted
 * now. If it throws, nothing is written and the login fails with that error. 0.14.0
 * negotiates STARTTLS only when the server offers it and otherwise logs in over plain TCP
 * (a `credentials` function that picks PLAIN then sends the password in clear), with no
 * option to require TLS, and no hook between the stream features and SASL: both SASL
 * packages send through the entity's send(). Returns the undo.
 */
export function beforeLogin(client: XmppClient, inspect: (secure: boolean) => void): () => void {
  return inspectSends(client, (element) => {
    const login = (element.name === 'auth' && element.attrs.xmlns === NS_SASL) || (element.name === 'authenticate' && element.attrs.xmlns === NS_SASL2)
    if (login) inspect(client.isSecure())
  })
}

// --- the socket -----------------------------------------------------------------------

/**
 * The Node socket under the client. 0.14.0: `client.socket` is a net.Socket for plain TCP;
 * after STARTTLS (and for xmpps://) it is @xmpp/tls's Socket, an EventEmitter wrapping a
 * tls.TLSSocket in `.socket`, with neither destroy() nor setNoDelay(): calling
 * `client.socket.destroy()` there threw "client.socket?.destroy is not a function" (5 of 10
 * moves into a STARTTLS listener failed so, with the retry skipped).
 */
function nodeSocket(client: XmppClient): NetSocket | undefined {
  const socket: unknown = client.socket
  if (socket instanceof NetSocket) return socket
  const inner = (socket as {socket?: unknown} | null)?.socket
  return inner instanceof NetSocket ? inner : undefined
}

/**
 * Drop the connection at once, no goodbye. Destroying the TLSSocket destroys the TCP
 * socket under it too. A transport without a Node socket (WebSocket) is ended instead.
 */
export function destroySocket(client: XmppClient): void {
  const socket = nodeSocket(client)
  if (socket) {
    socket.destroy()
    return
  }
  try {
    client.socket?.end?.()
  } catch {
    // Already gone.
  }
}

/**
 * No Nagle delay on this client's socket: a small write (our answer to a transfer) would
 * otherwise wait ~40 ms in the kernel for the server's delayed ACK. A TLSSocket passes it
 * to the TCP socket under it.
 */
export function sendWithoutDelay(client: XmppClient): void {
  nodeSocket(client)?.setNoDelay(true)
}

/**
 * @xmpp/connection 0.14.0 throws from a socket listener (uncaught: the process dies)
 * when data arrives after a stream error has detached its parser, as after a kick. Such
 * data belongs to a stream that is over: drop it. Replaces the connection's `_onData`;
 * must run before start().
 */
export function dropDataAfterStreamEnd(client: XmppClient): void {
  const connection = client as unknown as {_onData(data: unknown): void; parser: unknown}
  const onData = connection._onData
  connection._onData = function (this: typeof connection, data: unknown) {
    if (this.parser) onData.call(this, data)
  }
}

// --- status ---------------------------------------------------------------------------

/** Resolves once the client's status is one of `statuses` (true), or after `ms` (false). */
export function whenStatus(client: XmppClient, statuses: readonly string[], ms: number, timer: Timer = systemTimer()): Promise<boolean> {
  if (statuses.includes(client.status)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const stopTimer = new AbortController()
    function onStatus(status: string) {
      if (statuses.includes(status)) finish(true)
    }
    function finish(reached: boolean) {
      stopTimer.abort()
      client.off('status', onStatus)
      resolve(reached)
    }
    client.on('status', onStatus)
    void timer.sleep(ms, stopTimer.signal).then(() => {
      if (!stopTimer.signal.aborted) finish(false)
    })
  })
}

/**
 * Mark a client whose socket is gone as 'offline'. 0.14.0 has no public way: stop() would
 * try to write `</stream:stream>` to a socket that is gone. `_status` is the setter the
 * library's own plugins call.
 */
function markOffline(client: XmppClient): void {
  if (client.status !== 'offline') client._status('offline')
}

/**
 * Close the stream the polite way (`</stream:stream>`, wait for the server's, end the
 * socket), bounded: a stream that does not close in time loses its socket.
 */
export async function closeGracefully(client: XmppClient, ms: number, timer: Timer = systemTimer()): Promise<void> {
  if (client.status === 'offline') return
  if (client.status === 'disconnect' && !client.socket) {
    markOffline(client)
    return
  }
  const stopTimer = new AbortController()
  const stopped = client.stop().then(
    () => true,
    () => false,
  )
  const late = timer.sleep(ms, stopTimer.signal).then(() => false)
  const closed = await Promise.race([stopped, late])
  stopTimer.abort()
  if (!closed) {
    destroySocket(client)
    await whenStatus(client, GONE, 500, timer)
    markOffline(client)
  }
}

/** Drop a client that is being given up on (a failed or aborted login): no goodbye, no reconnect. */
export async function abandon(client: XmppClient, timer: Timer = systemTimer()): Promise<void> {
  client.reconnect?.stop()
  destroySocket(client)
  await whenStatus(client, GONE, 500, timer)
  markOffline(client)
}

// --- @xmpp/stream-management ----------------------------------------------------------

/** The part of @xmpp/stream-management 0.14.0's state that the guard touches. */
interface StreamManagementState {
  inbound: number
}

const guarded = new WeakSet<object>()

/**
 * Corrects @xmpp/client 0.14's count of handled stanzas (XEP-0198 `h`) when stream
 * management is enabled.
 *
 * The library zeroes its counter (`streamManagement.inbound`) only once the `<enabled/>`
 * promise has settled, a few microtasks after the element was parsed. When stanzas and the
 * server's `<r/>` arrive in the same read as `<enabled/>` (what a session gets when it
 * binds while messages are flowing to it, as in a transfer: offline messages flushed on
 * presence, live ones to the full JID), the `<a/>` goes out with the count from before
 * stream management began. ejabberd 23.01 then closes the stream ("Client acknowledged
 * more stanzas than sent by server", `undefined-condition`): the user drops out right
 * after a move (5 of 100 in our bench, 3–5 of 25 logins into a stream of messages).
 *
 * The guard zeroes the counter when `<enabled/>` is parsed, and ignores the library's late
 * reset that follows, so every stanza after `<enabled/>` counts once. Call it before
 * `start()`; it is idempotent. The helper guards every client it opens or follows.
 */
export function guardStreamManagementCount(client: XmppClient): void {
  const sm = (client as unknown as {streamManagement?: StreamManagementState}).streamManagement
  if (!sm || guarded.has(sm) || typeof sm.inbound !== 'number') return
  guarded.add(sm)
  let inbound = sm.inbound
  // Set when <enabled/> was parsed: the library's own reset (in enabled()) is still to come.
  let resetPending = false
  Object.defineProperty(sm, 'inbound', {
    configurable: true,
    enumerable: true,
    get: () => inbound,
    set: (value: number) => {
      if (resetPending && value === 0) {
        resetPending = false
        return
      }
      inbound = value
    },
  })
  client.on('nonza', (element: Element) => {
    if (element.name === 'enabled' && element.attrs.xmlns === NS_SM) {
      inbound = 0
      resetPending = true
    }
  })
  // A stream that ends before enabled() ran: nothing is pending any more.
  client.on('disconnect', () => {
    resetPending = false
  })
}
