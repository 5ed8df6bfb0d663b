import {type ClientOptions, type XmppClient} from '@xmpp/client'

import {type ConnectFn, type Credentials} from './open-session.js'
import {type TransferMode} from './events.js'
import {type AllowedServers} from './target-policy.js'
import {systemTimer, type Timer} from './timer.js'

export interface FollowTransfersOptions {
  /** 'make-before-break' (default): new session first, then the old one goes. */
  mode?: TransferMode
  /** Bare JIDs besides the user's own domain whose transfer packets are obeyed. */
  trustedAdmins?: readonly string[]
  /**
   * The servers a transfer may send this client to: the host:port of each cluster node
   * (what the operator's packets carry), `host` for any port, `*.name` for names under
   * it, or a function. Default: names under the user's own domain only. A packet naming
   * another server, or another domain, is refused with not-allowed.
   */
  allowedServers?: AllowedServers
  /** Answer disco#info with both transfer namespaces (default true). Turn off if the app answers disco itself. */
  advertise?: boolean
  /** The disco#info identity (default client/pc). */
  identity?: {category: string; type: string; name?: string}
  /** The account's credentials, for the helper to log in again (xmpp.js does not expose them). */
  credentials?: Credentials
  /** Open the new session yourself instead of the helper cloning the client. */
  connect?: ConnectFn
  /** Called on every client the helper creates, before it connects: attach the app's listeners. */
  prepare?: (client: XmppClient) => void
  /** Auto-reconnect on clients the helper creates; default: as the moved client had it. */
  reconnect?: boolean
  /** Bound on the new login (and on the old stream's goodbye), ms. Default 15000. */
  timeout?: number
  /**
   * Make-before-break: once the new session is bound, how long to wait for the server to
   * end one of the two streams before closing the old one ourselves, ms. Default 2000.
   */
  conflictWait?: number
  /**
   * Make-before-break: open the new session no sooner than this long after the old one
   * bound, ms (default 1050). ejabberd keeps, of two sessions with one resource, the one
   * with the greater {second, per-node counter}: within one second it may keep the old one.
   */
  minSessionAge?: number
  /**
   * How the helper makes the clients it opens itself (clones, and the TLS check before a
   * break-before-make of an encrypted session): @xmpp/client's `client()` by default.
   * Tests pass a fake.
   */
  createClient?: (options: ClientOptions) => XmppClient
  /** For tests: the clock. */
  now?: () => number
  /** For tests: the clock and the waits (overrides `now`). */
  timer?: Timer
}

export const DEFAULT_TIMEOUT = 15_000
/** ejabberd's session ids compare whole seconds first (misc:unique_timestamp/0). */
export const SAME_SECOND_MS = 1050

/** The options with their defaults filled in, checked once. */
export interface Settings {
  mode: TransferMode
  advertise: boolean
  identity: {category: string; type: string; name?: string}
  timeout: number
  conflictWait: number
  minSessionAge: number
  timer: Timer
  reconnect?: boolean
  credentials?: Credentials
  connect?: ConnectFn
  prepare?: (client: XmppClient) => void
  createClient?: (options: ClientOptions) => XmppClient
}

export function settingsOf(options: FollowTransfersOptions): Settings {
  const mode = options.mode ?? 'make-before-break'
  if (mode !== 'make-before-break' && mode !== 'break-before-make') {
    throw new TypeError(`mode must be 'make-before-break' or 'break-before-make', not '${mode}'`)
  }
  if (mode === 'make-before-break' && !options.connect && !options.credentials) {
    throw new TypeError('make-before-break opens a second session: pass credentials (or a connect function)')
  }
  return {
    mode,
    advertise: options.advertise ?? true,
    identity: options.identity ?? {category: 'client', type: 'pc'},
    timeout: options.timeout ?? DEFAULT_TIMEOUT,
    conflictWait: options.conflictWait ?? 2000,
    minSessionAge: options.minSessionAge ?? SAME_SECOND_MS,
    timer: options.timer ?? systemTimer(options.now),
    reconnect: options.reconnect,
    credentials: options.credentials,
    connect: options.connect,
    prepare: options.prepare,
    createClient: options.createClient,
  }
}
