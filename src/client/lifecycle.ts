import {xml, type XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

// Small operations on an xmpp.js 0.14 client that the move needs and xmpp.js does not offer.

const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'

/**
 * Whether @xmpp/reconnect is listening on this client. Reconnect keeps no flag: its
 * listener on 'disconnect' is the private field `#onDisconnect`, whose function name
 * V8 reports as '#onDisconnect'. Apps that turned reconnect off can say so explicitly.
 */
export function reconnectIsActive(client: XmppClient): boolean {
  return client.listeners('disconnect').some((listener) => (listener as {name?: string}).name === '#onDisconnect')
}

/**
 * xmpp.js 0.14 hands `[2001:db8::1]` to net.connect with its brackets (only `[::1]` is
 * unwrapped), which fails the DNS lookup. Unwrap bracketed hosts on this client.
 */
export function unwrapIPv6Hosts(client: XmppClient): void {
  const own = Object.getOwnPropertyDescriptor(client, 'socketParameters')
  if (own) return
  const original = client.socketParameters
  client.socketParameters = function socketParameters(service: string) {
    const params = original.call(this, service)
    if (params && params.host.startsWith('[') && params.host.endsWith(']')) params.host = params.host.slice(1, -1)
    return params
  }
}

/**
 * Let `onBind` see (and change, or delay) the client's resource-binding iq before it
 * leaves. The bind iq leaves through send(); the client's own send() is wrapped until the
 * returned undo is called.
 */
function beforeBind(client: XmppClient, onBind: (bind: Element) => void | Promise<unknown>): () => void {
  const hadOwn = Object.prototype.hasOwnProperty.call(client, 'send')
  const original = client.send
  client.send = async function send(element: Element, ...rest: unknown[]) {
    const bind = element.name === 'iq' && element.attrs.type === 'set' ? element.getChild('bind', NS_BIND) : undefined
    if (bind) await onBind(bind)
    return (original as (...args: unknown[]) => Promise<void>).call(this, element, ...rest)
  }
  return () => {
    if (hadOwn) client.send = original
    else delete (client as {send?: unknown}).send
  }
}

/**
 * Make the next resource binding ask for `resource` when the client would let the server
 * pick one (no resource option). Returns the undo.
 */
export function askForResource(client: XmppClient, resource: string): () => void {
  if (!resource) return () => {}
  return beforeBind(client, (bind) => {
    if (!bind.getChild('resource')) bind.append(xml('resource', {}, resource))
  })
}

/**
 * Hold the client's resource binding until `gate` settles: the connection, the stream and
 * the authentication go ahead, the bind iq waits. Returns the undo.
 */
export function holdBind(client: XmppClient, gate: Promise<unknown>): () => void {
  return beforeBind(client, () => gate.catch(() => {}))
}

/** Resolves once the client's status is one of `statuses` (or at once if it already is). */
export function whenStatus(client: XmppClient, statuses: readonly string[], ms: number): Promise<boolean> {
  if (statuses.includes(client.status)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), ms)
    function onStatus(status: string) {
      if (statuses.includes(status)) finish(true)
    }
    function finish(reached: boolean) {
      clearTimeout(timer)
      client.off('status', onStatus)
      resolve(reached)
    }
    client.on('status', onStatus)
  })
}

const GONE = ['disconnect', 'offline']

/**
 * Close the stream the polite way (`</stream:stream>`, wait for the server's, end the
 * socket), bounded: a stream that does not close in time loses its socket.
 */
export async function closeGracefully(client: XmppClient, ms: number): Promise<void> {
  if (client.status === 'offline') return
  if (client.status === 'disconnect' && !client.socket) {
    client._status('offline')
    return
  }
  const stopped = client.stop().then(() => true, () => false)
  const timer = new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref())
  if (!(await Promise.race([stopped, timer]))) {
    client.socket?.destroy()
    await whenStatus(client, GONE, 500)
    if (client.status !== 'offline') client._status('offline')
  }
}

/** Drop a client that is being given up on (a failed or aborted login): no goodbye, no reconnect. */
export async function abandon(client: XmppClient): Promise<void> {
  client.reconnect?.stop()
  client.socket?.destroy()
  await whenStatus(client, GONE, 500)
  if (client.status !== 'offline') client._status('offline')
}

/**
 * Resolves when the result answering iq `id` has been written to the socket (xmpp.js
 * emits 'send' from the write callback), or after `ms` in any case.
 */
export function whenReplySent(client: XmppClient, id: string | undefined, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms)
    function onSend(element: Element) {
      if (element.name === 'iq' && element.attrs.id === id && (element.attrs.type === 'result' || element.attrs.type === 'error')) finish()
    }
    function finish() {
      clearTimeout(timer)
      client.off('send', onSend)
      resolve()
    }
    client.on('send', onSend)
  })
}

/**
 * Resolves once the server has processed everything this client sent so far: a stream is
 * processed in order, so the answer to a ping sent now (result or error) proves it. The
 * write callback alone is not enough: with Nagle on, a small write can wait ~40 ms in the
 * kernel for the server's delayed ACK, and a new session replacing this one within that
 * time makes the server drop it unread.
 */
export async function whenServerHasRead(client: XmppClient, ms: number): Promise<void> {
  client.socket?.setNoDelay?.(true)
  const to = client.jid?.domain ?? (client.options.domain as string | undefined)
  if (!client.iqCaller || !to) return
  try {
    await client.iqCaller.request(xml('iq', {type: 'get', to}, xml('ping', {xmlns: 'urn:xmpp:ping'})), ms)
  } catch {
    // An error answer proves it as well; a timeout means we move anyway.
  }
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

/** `work` bounded by `ms` and by an abort signal. */
export function bounded<T>(work: Promise<T>, ms: number, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new TimeoutError(what, ms))), ms)
    const onAbort = () => finish(() => reject(signal.reason instanceof Error ? signal.reason : new Error(`${what} was aborted`)))
    function finish(settle: () => void) {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      settle()
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort)
    work.then((value) => finish(() => resolve(value)), (error) => finish(() => reject(error)))
  })
}
