// The shared fake connection for unit tests, in the spirit of xmpp.js's own
// packages/test (mockClient.js + context.js, 0.14.0): an entity with on/emit/send and
// the REAL @xmpp/middleware, iq callee, iq caller and reconnect plugins, and a socket of
// the real shapes (a net.Socket that writes nowhere; after "STARTTLS", @xmpp/tls's own
// Socket wrapping one). No network: feed it stanzas with receive(), read what it sent in
// `sent`. start() plays a login against a scripted server (`server` option).
import {EventEmitter} from 'node:events'
import {Socket as NetSocket} from 'node:net'

import {jid, xml, type XmppClient} from '@xmpp/client'
import StreamError from '@xmpp/connection/lib/StreamError.js'
import iqCallee from '@xmpp/iq/callee.js'
import iqCaller from '@xmpp/iq/caller.js'
import middleware from '@xmpp/middleware'
import reconnect from '@xmpp/reconnect'
import TlsSocket from '@xmpp/tls/lib/Socket.js'
import type {Element} from '@xmpp/xml'

const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
const NS_PING = 'urn:xmpp:ping'

/** A net.Socket that is never connected: writes succeed on the next tick (xmpp.js's MockSocket). */
class NowhereSocket extends NetSocket {
  override write(...args: unknown[]): boolean {
    const callback = args.find((arg) => typeof arg === 'function') as ((error?: Error) => void) | undefined
    process.nextTick(() => callback?.())
    return true
  }
}

/** What the scripted server does with a login at `service`. */
export interface ServerScript {
  /** Refuse the connection with this error (default: port 1 is refused, ECONNREFUSED). */
  refuse?: Error
  /** Offer STARTTLS (the socket becomes @xmpp/tls's, isSecure() true) (default false). */
  tls?: boolean
}

export interface MockClientOptions {
  service?: string
  domain?: string
  /** The bound JID (default user1@example.test/phone); null: not bound. */
  jid?: string | null
  /** Default 'online'. */
  status?: string
  /** The resource option: start() asks to bind it (default none: the server picks one, unless the helper adds one). */
  resource?: string
  /** The current socket is TLS (@xmpp/tls's Socket) (default false). */
  secure?: boolean
  /** How logins (start()) go, per service. */
  server?: (service: string) => ServerScript
  /** A name for `log` lines (default 'client'). */
  name?: string
  /** Answer pings like a server (default true). */
  answerPings?: boolean
  /** Shared log, in order, across several mocks: stanzas sent (`old send iq result x1`), start and stop. */
  log?: string[]
}

export const MOCK_DOMAIN = 'example.test'

let ids = 0

function isStanza(element: Element): boolean {
  return element.name === 'iq' || element.name === 'message' || element.name === 'presence'
}

const defaultServer = (service: string): ServerScript =>
  /:1$/.test(service) ? {refuse: Object.assign(new Error(`connect ECONNREFUSED ${service.replace(/^xmpps?:\/\//, '')}`), {code: 'ECONNREFUSED'})} : {}

/**
 * A stand-in for an @xmpp/client 0.14 entity. It has what xtransfer reads or calls on a
 * client: status, jid, options, socket, isSecure(), send(), start(), stop(), the plugins,
 * and the internals the helper's adapter touches (`_status`, `socketParameters`,
 * `streamManagement`).
 */
export class MockClient extends EventEmitter implements XmppClient {
  status: string
  jid: ReturnType<typeof jid> | null
  options: XmppClient['options']
  socket: XmppClient['socket'] = null
  /** Every element sent, in order. */
  sent: Element[] = []
  readonly log: string[]
  readonly name: string
  /** Answer pings like a server (set false to leave them unanswered). */
  answerPings: boolean
  readonly middleware: XmppClient['middleware']
  readonly iqCallee: XmppClient['iqCallee']
  readonly iqCaller: XmppClient['iqCaller']
  readonly reconnect: XmppClient['reconnect']
  readonly streamManagement = {enabled: false, id: '', outbound: 0, inbound: 0}
  readonly #server: (service: string) => ServerScript
  readonly #resource: string | undefined

  constructor(options: MockClientOptions = {}) {
    super()
    this.options = {service: options.service ?? 'xmpp://127.0.0.1:5222', domain: options.domain ?? MOCK_DOMAIN}
    this.jid = options.jid === null ? null : jid(options.jid ?? `user1@${this.options.domain}/phone`)
    this.status = options.status ?? 'online'
    this.name = options.name ?? 'client'
    this.log = options.log ?? []
    this.#server = options.server ?? defaultServer
    this.#resource = options.resource
    this.answerPings = options.answerPings ?? true
    if (this.status === 'online') this.#attach(options.secure ?? false)
    this.middleware = middleware({entity: this})
    this.iqCallee = iqCallee({middleware: this.middleware, entity: this})
    this.iqCaller = iqCaller({middleware: this.middleware, entity: this})
    this.reconnect = reconnect({entity: this})
  }

  isSecure(): boolean {
    return this.socket?.secure === true
  }

  /** As Connection#send: write, then 'send'. */
  async send(element: Element): Promise<void> {
    this.sent.push(element)
    if (isStanza(element)) this.log.push(`${this.name} send ${element.name} ${element.attrs.type ?? ''} ${element.attrs.id ?? ''}`.trim())
    await this.write(element.toString())
    this.emit('send', element)
    if (this.answerPings && element.name === 'iq' && element.attrs.type === 'get' && element.getChild('ping', NS_PING)) {
      setImmediate(() => this.receive(xml('iq', {type: 'result', id: element.attrs.id, from: element.attrs.to})))
    }
  }

  write(text: string): Promise<void> {
    const socket = this.socket
    if (!socket) return Promise.reject(new Error('the mock client has no socket'))
    return new Promise((resolve, reject) => socket.write(text, (error?: Error) => (error ? reject(error) : resolve())))
  }

  /** An element from the server, as Connection#_onElement hands it on. */
  receive(element: Element): void {
    this.emit('element', element)
    this.emit(isStanza(element) ? 'stanza' : 'nonza', element)
  }

  /**
   * The server ends the stream with a stream error (`conflict`, `reset`…): 'error' now; the
   * socket closes a moment later (xmpp.js first writes its own `</stream:stream>` and
   * waits for the server's), so whoever reacts to the error still finds the socket.
   */
  endStream(condition: string, text?: string): void {
    this.emit('error', new StreamError(condition, text))
    setImmediate(() => this.#dropSocket())
  }

  /** The connection breaks (no stream error): the socket closes. */
  dropConnection(): void {
    this.#dropSocket()
  }

  /**
   * A login at options.service as the scripted server plays it: connect (TLS if offered),
   * SASL `<auth>`, resource binding (an iq the helper may change or hold), online.
   */
  async start(): Promise<ReturnType<typeof jid>> {
    const service = String(this.options.service)
    this.log.push(`${this.name} start ${service}`)
    const script = this.#server(service)
    this._status('connecting', service)
    if (script.refuse) {
      this._status('disconnect')
      throw script.refuse
    }
    this.#attach(script.tls ?? false)
    this._status('connect')
    this._status('open')
    await this.send(xml('auth', {xmlns: NS_SASL, mechanism: 'PLAIN'}))
    // As xmpp.js: the resource option if any; without one the helper may add its own.
    const bind = xml('bind', {xmlns: NS_BIND}, this.#resource ? xml('resource', {}, this.#resource) : undefined)
    await this.send(xml('iq', {type: 'set', id: 'bind1'}, bind))
    const local = this.jid?.local ?? 'user1'
    this.jid = jid(`${local}@${this.options.domain}/${bind.getChildText('resource') ?? `mock${++ids}`}`)
    this._status('online', this.jid)
    return this.jid
  }

  /** As Connection#stop, minus the round trip: the stream and socket close, 'offline'. */
  async stop(): Promise<void> {
    this.log.push(`${this.name} stop`)
    this.#detach()
    this._status('offline')
  }

  async disconnect(): Promise<void> {
    this.#dropSocket()
  }

  _status(status: string, ...args: unknown[]): void {
    if (this.status === status) return
    this.status = status
    this.emit('status', status, ...args)
    this.emit(status, ...args)
  }

  socketParameters(): undefined {
    return undefined
  }

  #attach(secure: boolean): void {
    const plain = new NowhereSocket()
    let socket: NetSocket | TlsSocket = plain
    if (secure) {
      const tls = new TlsSocket()
      tls._attachSocket(plain)
      socket = tls
    }
    // As Connection#_attachSocket: a closed socket is a 'disconnect'.
    socket.once('close', () => {
      if (this.socket !== socket) return
      this.socket = null
      this._status('disconnect', {clean: false})
    })
    this.socket = socket
  }

  #detach(): void {
    const socket = this.socket
    this.socket = null
    ;(socket?.socket ?? socket)?.destroy?.()
  }

  #dropSocket(): void {
    const socket = this.socket
    if (!socket) return
    // Through the Node socket, as a reset from the server would.
    ;(socket instanceof NetSocket ? socket : socket.socket)?.destroy()
  }
}

export function mockClient(options: MockClientOptions = {}): MockClient {
  return new MockClient(options)
}

/**
 * A stand-in for @xmpp/client's `client()`: offline mocks made from ClientOptions (service,
 * domain, username, resource), for code that creates its own clients. `made` lists them.
 */
export function mockClientFactory(extra: Omit<MockClientOptions, 'service' | 'domain' | 'jid' | 'resource' | 'status'> = {}) {
  const made: MockClient[] = []
  const create = (options: {service?: string; domain?: string; username?: string; resource?: unknown}): MockClient => {
    const domain = options.domain ?? MOCK_DOMAIN
    const client = mockClient({
      ...extra,
      service: options.service,
      domain,
      jid: options.username ? `${options.username}@${domain}` : null,
      resource: typeof options.resource === 'string' ? options.resource : undefined,
      status: 'offline',
      name: extra.name ?? `made${made.length + 1}`,
    })
    made.push(client)
    return client
  }
  return {create, made}
}

// --- helpers, as xmpp.js's context.js -------------------------------------------------

/**
 * Feed an iq to the client and resolve with its answer (result or error, same id). An iq
 * without an id gets one.
 */
export function fakeIncomingIq(client: MockClient, iq: Element): Promise<Element> {
  iq.attrs.id ??= `fake${++ids}`
  const answer = catchOutgoing(client, (el) => el.name === 'iq' && el.attrs.id === iq.attrs.id && (el.attrs.type === 'result' || el.attrs.type === 'error'))
  client.receive(iq)
  return answer
}

/** `<iq type='set'>` with `child`, from `attrs.from`; resolves with the answer. */
export function fakeIncomingSet(client: MockClient, child: Element, attrs: Record<string, string | undefined> = {}): Promise<Element> {
  return fakeIncomingIq(client, xml('iq', {...attrs, type: 'set'}, child))
}

/** `<iq type='get'>` with `child`; resolves with the answer. */
export function fakeIncomingGet(client: MockClient, child: Element, attrs: Record<string, string | undefined> = {}): Promise<Element> {
  return fakeIncomingIq(client, xml('iq', {...attrs, type: 'get'}, child))
}

/** The next element the client sends that `match` accepts (elements already sent do not count). */
export function catchOutgoing(client: MockClient, match: (element: Element) => boolean = () => true): Promise<Element> {
  return new Promise((resolve) => {
    function onSend(element: Element) {
      if (!match(element)) return
      client.off('send', onSend)
      resolve(element)
    }
    client.on('send', onSend)
  })
}

/** Answer the next iq get/set the client sends with a result carrying `child`. */
export async function scheduleIncomingResult(client: MockClient, child?: Element, match: (iq: Element) => boolean = () => true): Promise<Element> {
  const iq = await catchOutgoing(client, (el) => el.name === 'iq' && (el.attrs.type === 'get' || el.attrs.type === 'set') && match(el))
  client.receive(xml('iq', {type: 'result', id: iq.attrs.id, from: iq.attrs.to}, child))
  return iq
}

/** The stanza-error condition of an `<iq type='error'>` (forbidden, conflict…). */
export function errorCondition(answer: Element): string | undefined {
  return answer
    .getChild('error')
    ?.getChildElements()
    .find((child) => child.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name
}
