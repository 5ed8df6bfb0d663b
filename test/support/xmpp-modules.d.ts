// Typings for the @xmpp/* 0.14 modules the shared mock client builds on (untyped upstream).
declare module '@xmpp/middleware' {
  import {type XmppClient} from '@xmpp/client'
  export default function middleware(deps: {entity: unknown}): XmppClient['middleware']
}

declare module '@xmpp/iq/callee.js' {
  import {type IqCallee, type XmppClient} from '@xmpp/client'
  export default function iqCallee(deps: {middleware: XmppClient['middleware']; entity: unknown}): IqCallee
}

declare module '@xmpp/iq/caller.js' {
  import {type XmppClient} from '@xmpp/client'
  export default function iqCaller(deps: {middleware: XmppClient['middleware']; entity: unknown}): XmppClient['iqCaller']
}

declare module '@xmpp/reconnect' {
  import {type XmppClient} from '@xmpp/client'
  export default function reconnect(deps: {entity: unknown}): XmppClient['reconnect']
}

declare module '@xmpp/connection/lib/StreamError.js' {
  export default class StreamError extends Error {
    constructor(condition: string, text?: string)
    condition: string
    text?: string
  }
}

declare module '@xmpp/tls/lib/Socket.js' {
  import {EventEmitter} from 'node:events'
  import {type Socket as NetSocket} from 'node:net'
  /** @xmpp/tls's socket: wraps a tls.TLSSocket in `socket`; no destroy(), no setNoDelay(). */
  export default class Socket extends EventEmitter {
    socket: NetSocket | null
    secure: boolean
    _attachSocket(socket: NetSocket): void
    end(): void
    write(data: string, callback?: (error?: Error) => void): void
  }
}
