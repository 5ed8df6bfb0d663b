// Minimal typings for the parts of xmpp.js (0.14, untyped) that xtransfer uses.
declare module '@xmpp/xml' {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>)
    name: string
    attrs: Record<string, string | undefined>
    children: Array<Element | string>
    parent: Element | null
    is(name: string, xmlns?: string): boolean
    getNS(): string | undefined
    getChild(name: string, xmlns?: string): Element | undefined
    getChildren(name: string, xmlns?: string): Element[]
    getChildElements(): Element[]
    getChildText(name: string, xmlns?: string): string | null
    getText(): string
    text(): string
    c(name: string, attrs?: Record<string, string | undefined>): Element
    t(text: string): Element
    up(): Element
    root(): Element
    cnode(child: Element): Element
    append(...children: Array<Element | string>): void
    toString(): string
  }
  type Child = Element | string | undefined | null | false | Child[]
  function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Child[]): Element
  namespace xml {
    export {Element}
    export class Parser {
      write(data: string): void
      end(data?: string): void
      on(event: 'element' | 'start' | 'end' | 'error', listener: (...args: any[]) => void): this
    }
  }
  export default xml
}

declare module '@xmpp/xml/lib/parse.js' {
  import {type Element} from '@xmpp/xml'
  export default function parse(text: string): Element
}

declare module '@xmpp/jid' {
  export class JID {
    local: string
    domain: string
    resource: string
    constructor(local: string | undefined, domain: string, resource?: string)
    bare(): JID
    toString(unescape?: boolean): string
    equals(other: JID): boolean
    getLocal(unescape?: boolean): string
    getDomain(): string
    getResource(): string
  }
  export default function jid(address: string): JID
  export function jid(address: string): JID
  export function equal(a: JID, b: JID): boolean
}

declare module '@xmpp/client' {
  import {type Element} from '@xmpp/xml'
  import type xmlFn from '@xmpp/xml'
  import {type JID} from '@xmpp/jid'
  import {type EventEmitter} from 'node:events'

  export interface IqCallee {
    get(ns: string, name: string, handler: (ctx: any, next: () => unknown) => unknown): void
    set(ns: string, name: string, handler: (ctx: any, next: () => unknown) => unknown): void
  }

  export interface XmppClient extends EventEmitter {
    jid: JID | null
    status: string
    options: Record<string, any>
    start(): Promise<JID>
    stop(): Promise<void>
    send(element: Element): Promise<void>
    write(text: string): Promise<void>
    disconnect(timeout?: number): Promise<void>
    isSecure(): boolean
    socket: any
    iqCallee: IqCallee
    iqCaller: {request(el: Element, timeout?: number): Promise<Element>}
    reconnect: EventEmitter & {stop(): void; start(): void; scheduleReconnect(): void; delay: number}
    streamManagement: {enabled: boolean; id: string; outbound: number; inbound: number}
    middleware: {use(fn: (ctx: any, next: () => any) => any): void; filter(fn: (ctx: any, next: () => any) => any): void}
    /** client()'s SASL mechanisms (absent on test doubles). */
    saslFactory?: SaslFactory
    /** Connection internals that xmpp.js plugins use: the socket parameters for a service, and the status setter. */
    socketParameters(service: string): {host: string; port: number | null} | undefined
    _status(status: string, ...args: unknown[]): void
  }

  export interface ClientOptions {
    service?: string
    domain?: string
    resource?: string | (() => string | Promise<string>)
    username?: string
    password?: string
    credentials?: (auth: (creds: {username: string; password: string}, mechanism?: string) => Promise<void>, mechanisms: string[]) => Promise<void>
    timeout?: number
    lang?: string
  }

  /** The SASL mechanisms (saslmechanisms' Factory): `use(name, Mechanism)` registers one under a name. */
  export interface SaslFactory {
    use(name: string, mechanism: unknown): unknown
  }

  export function client(options: ClientOptions): XmppClient
  export const xml: typeof xmlFn
  export function jid(address: string): JID
}
