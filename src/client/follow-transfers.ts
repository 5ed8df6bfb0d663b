import {EventEmitter} from 'node:events'
import {type XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

import {NS_CXFR, NS_DISCO_INFO, NS_SRVXFR, parseTransferIq, type TransferNamespace} from '../protocol/index.js'
import {cloneClient, connectWith, type ConnectContext, type ConnectFn, type Credentials} from './connect.js'
import {askForResource, abandon, bounded, closeGracefully, reconnectIsActive, unwrapIPv6Hosts, whenReplySent, whenServerHasRead} from './lifecycle.js'
import {discoInfo, stanzaError} from './replies.js'
import {guardStreamManagementCount} from './stream-management-count.js'
import {describeTarget, sameTarget, type SessionTarget, targetOf} from './target.js'
import {checkSender, normaliseAdmins} from './trust.js'

export type TransferMode = 'make-before-break' | 'break-before-make'

export interface FollowTransfersOptions {
  /** 'make-before-break' (default): new session first, then the old one goes. */
  mode?: TransferMode
  /** Bare JIDs besides the user's own domain whose transfer packets are obeyed. */
  trustedAdmins?: readonly string[]
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
  /** For tests: the clock. */
  now?: () => number
}

export interface TransferStarted {
  from: SessionTarget
  to: SessionTarget
  sender: string
  namespace: TransferNamespace
  mode: TransferMode
}

export interface Transferred extends TransferStarted {
  /** The client now carrying the session (also `helper.client`). */
  client: XmppClient
  /** The client that carried it before (the same object in break-before-make without `connect`). */
  previous: XmppClient
  /** From the packet's arrival to the new session bound. */
  ms: number
  /** How the old stream ended: the server's `<conflict/>` (expected), closed by the helper, or already gone. */
  oldStream: 'conflict' | 'closed' | 'gone'
}

export interface TransferFailed extends TransferStarted {
  error: Error
  /** The client carrying the session now (the old one, or a session reopened at `from`). */
  client: XmppClient
  /** Whether the session is online after the failure. */
  online: boolean
  ms: number
}

export interface TransferRefused {
  /** The sender as written in the packet ('' if none). */
  from: string
  condition: 'forbidden' | 'bad-request' | 'conflict'
  reason: string
}

export interface TransferEvents {
  'transfer-started': [TransferStarted]
  transferred: [Transferred]
  'transfer-failed': [TransferFailed]
  'transfer-refused': [TransferRefused]
}

const DEFAULT_TIMEOUT = 15_000
/** How long to wait for our result to be written, then read by the server, before moving anyway. */
const REPLY_FLUSH_MS = 2000
/** ejabberd's session ids compare whole seconds first (misc:unique_timestamp/0). */
const SAME_SECOND_MS = 1050
/** New sessions tried per make-before-break move. */
const MAX_ATTEMPTS = 2

interface Move {
  target: SessionTarget
  done: Promise<void>
  controller: AbortController
}

/**
 * Follow XEP-0051 server-transfer packets (jabber:iq:srvxfr and urn:xmpp:cxfr) on an
 * @xmpp/client: answer, then move the session where the packet says. `client` always
 * names the client currently carrying the session.
 */
export class TransferFollower extends EventEmitter<TransferEvents> {
  #client: XmppClient
  #move: Move | undefined
  #stopped = false
  readonly #active = new WeakSet<XmppClient>()
  readonly #attached = new WeakSet<XmppClient>()
  readonly #admins: Set<string>
  readonly #boundAt = new WeakMap<XmppClient, number>()
  readonly #options: Required<Pick<FollowTransfersOptions, 'mode' | 'advertise' | 'timeout' | 'now' | 'identity' | 'conflictWait' | 'minSessionAge'>> & FollowTransfersOptions

  constructor(client: XmppClient, options: FollowTransfersOptions = {}) {
    super()
    this.#options = {
      ...options,
      mode: options.mode ?? 'make-before-break',
      advertise: options.advertise ?? true,
      timeout: options.timeout ?? DEFAULT_TIMEOUT,
      now: options.now ?? Date.now,
      identity: options.identity ?? {category: 'client', type: 'pc'},
      conflictWait: options.conflictWait ?? 2000,
      minSessionAge: options.minSessionAge ?? SAME_SECOND_MS,
    }
    if (this.#options.mode !== 'make-before-break' && this.#options.mode !== 'break-before-make') {
      throw new TypeError(`mode must be 'make-before-break' or 'break-before-make', not '${this.#options.mode}'`)
    }
    if (this.#options.mode === 'make-before-break' && !options.connect && !options.credentials) {
      throw new TypeError('make-before-break opens a second session: pass credentials (or a connect function)')
    }
    this.#admins = normaliseAdmins(options.trustedAdmins)
    this.#client = client
    this.#adopt(client)
  }

  /** The client carrying the session now: it changes when a make-before-break move completes. */
  get client(): XmppClient {
    return this.#client
  }

  /** Whether a transfer is being carried out. */
  get moving(): boolean {
    return this.#move !== undefined
  }

  /**
   * Stop answering transfer packets and disco#info (on every client the helper attached
   * to). A move that has not committed yet is abandoned and the old session kept.
   */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#active.delete(this.#client)
    const move = this.#move
    if (move) {
      move.controller.abort(new Error('the transfer helper was stopped'))
      await move.done
    }
  }

  #adopt = (client: XmppClient): void => {
    if (this.#stopped) return
    this.#active.add(client)
    if (this.#attached.has(client)) return
    this.#attached.add(client)
    // A new session binds while messages flow to it: see stream-management-count.ts.
    guardStreamManagementCount(client)
    // When the session bound (at the latest now, if it is online already): see minSessionAge.
    if (client.status === 'online') this.#boundAt.set(client, this.#options.now())
    client.on('online', () => this.#boundAt.set(client, this.#options.now()))
    // xmpp.js middleware cannot be removed: a detached client's handlers pass the stanza on.
    const onTransfer = (ctx: {entity: XmppClient; stanza: Element}, next: () => unknown) =>
      this.#active.has(client) ? this.#onTransfer(client, ctx.stanza) : next()
    client.iqCallee.set(NS_SRVXFR, 'query', onTransfer)
    client.iqCallee.set(NS_CXFR, 'query', onTransfer)
    if (this.#options.advertise) {
      client.iqCallee.get(NS_DISCO_INFO, 'query', (ctx: {element: Element}, next: () => unknown) =>
        this.#active.has(client) && !ctx.element.attrs.node ? discoInfo(this.#options.identity) : next())
    }
  }

  /** The iqCallee handler: its return value is the answer (truthy = empty result, `<error/>` = error). */
  #onTransfer(client: XmppClient, stanza: Element): Element | true {
    const received = this.#options.now()
    const from = stanza.attrs.from
    const sender = checkSender(from, client.jid?.domain ?? String(client.options.domain ?? ''), this.#admins)
    if (!sender.ok) return this.#refuse(from, 'forbidden', sender.reason, stanzaError('auth', 'forbidden'))
    const parsed = parseTransferIq(stanza)
    if (!parsed.ok) return this.#refuse(from, 'bad-request', parsed.reason, stanzaError('modify', 'bad-request', parsed.reason))
    const to = targetOf(parsed.value)
    if (this.#move) {
      // A repeat of the order being carried out is acknowledged, not acted on twice.
      if (sameTarget(this.#move.target, to)) return true
      const reason = `a transfer to ${describeTarget(this.#move.target)} is in progress`
      return this.#refuse(from, 'conflict', reason, stanzaError('cancel', 'conflict', reason))
    }
    const here = {service: String(client.options.service ?? ''), domain: client.jid?.domain ?? String(client.options.domain ?? '')}
    const started: TransferStarted = {from: here, to, sender: sender.sender, namespace: parsed.value.namespace, mode: this.#options.mode}
    const controller = new AbortController()
    // No Nagle delay for the result; register for its write now (it leaves after we return).
    client.socket?.setNoDelay?.(true)
    const flushed = whenReplySent(client, stanza.attrs.id, REPLY_FLUSH_MS).then(() => whenServerHasRead(client, REPLY_FLUSH_MS))
    const move: Move = {target: to, controller, done: Promise.resolve()}
    move.done = flushed
      .then(() => this.#carryOut(client, started, received, controller))
      .finally(() => {
        if (this.#move === move) this.#move = undefined
      })
    this.#move = move
    return true
  }

  #refuse(from: string | undefined, condition: TransferRefused['condition'], reason: string, error: Element): Element {
    this.emit('transfer-refused', {from: from ?? '', condition, reason})
    return error
  }

  async #carryOut(client: XmppClient, started: TransferStarted, received: number, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) {
      this.#fail(started, received, new Error('the transfer helper was stopped'), client)
      return
    }
    this.emit('transfer-started', started)
    try {
      if (started.mode === 'make-before-break') await this.#makeBeforeBreak(client, started, received, controller)
      else await this.#breakBeforeMake(client, started, received, controller)
    } catch (error) {
      // A bug of ours must not leave the app without an answer.
      this.#fail(started, received, asError(error), this.#client)
    }
  }

  async #makeBeforeBreak(old: XmppClient, started: TransferStarted, received: number, controller: AbortController): Promise<void> {
    const reconnect = reconnectIsActive(old)
    // Reconnect would log the old client in again with the same resource and kick the new session.
    old.reconnect.stop()
    const oldEnding = watchEnding(old)
    const failed = (error: unknown) => {
      oldEnding.release()
      if (reconnect) resumeReconnect(old)
      this.#fail(started, received, asError(error), old)
    }
    // ejabberd keeps the session with the greatest {wall-clock second, per-node counter}:
    // within one second, across nodes, it may keep the OLD one. Let the old one age first.
    await this.#sleep(this.#untilAged(old), controller.signal)
    for (let attempt = 1; ; attempt++) {
      if (controller.signal.aborted) return failed(controller.signal.reason)
      const opening = this.#options.now()
      let fresh: XmppClient
      try {
        fresh = await this.#open(started.to, old, controller)
      } catch (error) {
        // The server replaced the new session while it was binding: it kept the old one.
        if (!isConflict(error) || attempt >= MAX_ATTEMPTS) return failed(isConflict(error) ? keptOld() : error)
        await this.#sleep(Math.max(0, SAME_SECOND_MS - (this.#options.now() - opening)), controller.signal)
        continue
      }
      const boundAt = this.#options.now()
      const freshEnding = watchEnding(fresh)
      const verdict = await settle(oldEnding, freshEnding, this.#options.conflictWait)
      if (verdict === 'new-ended') {
        // The server kept the old session (or the new one died at once): the old one is
        // still up. Once more, in a later second, then give up.
        await abandon(fresh)
        if (attempt >= MAX_ATTEMPTS) return failed(freshEnding.conflict ? keptOld() : new Error('the new session ended right after binding'))
        await this.#sleep(Math.max(0, SAME_SECOND_MS - (this.#options.now() - boundAt)), controller.signal)
        continue
      }
      const ms = boundAt - received
      this.#retire(old, fresh)
      freshEnding.release()
      this.#reconnectAfterMove(fresh, reconnect, Boolean(this.#options.connect))
      // The old client keeps the ending watcher: errors of its last moments (ECONNRESET
      // after the conflict) must not throw. It finishes closing on its own.
      let oldStream: Transferred['oldStream']
      if (oldEnding.conflict) {
        oldStream = 'conflict'
      } else if (verdict === 'old-ended') {
        oldStream = 'gone'
      } else {
        // A server that keeps both sessions: close the old one politely.
        oldStream = 'closed'
        await closeGracefully(old, this.#options.timeout)
        if (oldEnding.conflict) oldStream = 'conflict'
      }
      this.emit('transferred', {...started, client: fresh, previous: old, ms, oldStream})
      return
    }
  }

  /** How long until `client`'s session is older than the server's one-second tie-break. */
  #untilAged(client: XmppClient): number {
    const boundAt = this.#boundAt.get(client)
    if (boundAt === undefined) return 0
    return Math.max(0, Math.min(this.#options.minSessionAge, boundAt + this.#options.minSessionAge - this.#options.now()))
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0 || signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done)
    })
  }

  async #breakBeforeMake(old: XmppClient, started: TransferStarted, received: number, controller: AbortController): Promise<void> {
    const reconnect = reconnectIsActive(old)
    old.reconnect.stop()
    const ending = watchEnding(old)
    const resource = old.jid?.resource ?? ''
    const closed = closeGracefully(old, this.#options.timeout).finally(() => ending.release())
    let current: XmppClient
    try {
      if (this.#options.credentials && !this.#options.connect) {
        // A new client logs in while the old stream closes, and binds once it has: the
        // gap is the close and the bind, not a whole login. The streams never overlap.
        current = await this.#open(started.to, old, controller, resource, closed)
      } else {
        await closed
        current = this.#options.connect ? await this.#open(started.to, old, controller, resource) : await this.#restart(old, started.to, resource, controller.signal)
      }
    } catch (error) {
      await closed
      // The old session is gone already: try to be back where we were.
      let back: XmppClient = old
      if (!controller.signal.aborted) {
        try {
          back = this.#options.connect ? await this.#open(started.from, old, new AbortController(), resource) : await this.#restart(old, started.from, resource, new AbortController().signal)
        } catch {}
      }
      if (back !== old) this.#retire(old, back)
      this.#reconnectAfterMove(back, reconnect, back !== old)
      this.#fail(started, received, asError(error), back)
      return
    }
    const ms = this.#options.now() - received
    if (current !== old) this.#retire(old, current)
    this.#reconnectAfterMove(current, reconnect, current !== old && Boolean(this.#options.connect))
    this.emit('transferred', {...started, client: current, previous: old, ms, oldStream: 'closed'})
  }

  /**
   * The new session, opened by the app's connect() or by cloning the client. Each attempt
   * has its own abort signal (given up on: timeout), which the move's signal (stop()) aborts too.
   */
  async #open(target: SessionTarget, previous: XmppClient, move: AbortController, resource = previous.jid?.resource ?? '', bindAfter?: Promise<unknown>): Promise<XmppClient> {
    const attempt = new AbortController()
    const forward = () => attempt.abort(move.signal.reason)
    if (move.signal.aborted) forward()
    else move.signal.addEventListener('abort', forward)
    const context: ConnectContext = {resource, signal: attempt.signal, previous}
    const {connect, credentials, prepare, timeout} = this.#options
    try {
      if (connect) return await connectWith(connect, target, context, timeout, attempt)
      if (!credentials) throw new Error('no credentials to open a new session with')
      return await cloneClient(target, context, {credentials, prepare, adopt: this.#adopt, timeout, bindAfter})
    } finally {
      move.signal.removeEventListener('abort', forward)
    }
  }

  /** Break-before-make on the same object: xmpp.js keeps the credentials, we keep the resource. */
  async #restart(client: XmppClient, target: SessionTarget, resource: string, signal: AbortSignal): Promise<XmppClient> {
    const {service, domain} = client.options
    client.options.service = target.service
    client.options.domain = target.domain
    unwrapIPv6Hosts(client)
    const restore = askForResource(client, resource)
    const swallow = () => {}
    client.on('error', swallow)
    try {
      await bounded(client.start(), this.#options.timeout, signal, `login at ${target.service}`)
      return client
    } catch (error) {
      await abandon(client)
      Object.assign(client.options, {service, domain})
      throw error
    } finally {
      client.off('error', swallow)
      restore()
    }
  }

  /**
   * Auto-reconnect on the client that carries the session after a move: as the moved
   * client had it, unless the option says otherwise; a client from the app's connect()
   * keeps what the app gave it unless the option is set.
   */
  #reconnectAfterMove(client: XmppClient, hadReconnect: boolean, fromApp: boolean): void {
    const wanted = this.#options.reconnect ?? (fromApp ? undefined : hadReconnect)
    if (wanted === true && !reconnectIsActive(client)) resumeReconnect(client)
    if (wanted === false) client.reconnect.stop()
  }

  /** `next` carries the session from now on; `old` keeps no active handler. */
  #retire(old: XmppClient, next: XmppClient): void {
    this.#active.delete(old)
    this.#client = next
    if (this.#stopped) this.#active.delete(next)
    else this.#adopt(next)
  }

  #fail(started: TransferStarted, received: number, error: Error, client: XmppClient): void {
    this.emit('transfer-failed', {...started, error, client, online: client.status === 'online', ms: this.#options.now() - received})
  }
}

interface Ending {
  /** The server ended this stream with <conflict/> (another session took the resource). */
  readonly conflict: boolean
  /** Resolves when the stream ends (conflict or otherwise). */
  readonly ended: Promise<void>
  release(): void
}

/**
 * Watches a client whose stream may end during a move: remembers a `<conflict/>` stream
 * error and keeps its 'error' events from throwing (a conflict is an expected outcome).
 */
function watchEnding(client: XmppClient): Ending {
  const state = {conflict: false}
  let resolveEnded!: () => void
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve))
  const onError = (error: {condition?: string}) => {
    if (error?.condition === 'conflict') {
      state.conflict = true
      resolveEnded()
    }
  }
  const onStatus = (status: string) => {
    if (status === 'disconnect' || status === 'offline') resolveEnded()
  }
  client.on('error', onError)
  client.on('status', onStatus)
  if (client.status === 'disconnect' || client.status === 'offline') resolveEnded()
  return {
    get conflict() {
      return state.conflict
    },
    ended,
    release: () => {
      client.off('error', onError)
      client.off('status', onStatus)
    },
  }
}

/**
 * Which session the server kept once the new one is bound: the old stream ends
 * (ejabberd: <conflict/>, usually before the new bind completes), the new one ends (the
 * server kept the old one), or neither within `ms` (the server keeps both).
 */
async function settle(old: Ending, fresh: Ending, ms: number): Promise<'old-ended' | 'new-ended' | 'both'> {
  if (old.conflict) return 'old-ended'
  let timer: NodeJS.Timeout | undefined
  const verdict = await Promise.race([
    old.ended.then(() => 'old-ended' as const),
    fresh.ended.then(() => 'new-ended' as const),
    new Promise<'both'>((resolve) => (timer = setTimeout(resolve, ms, 'both'))),
  ])
  clearTimeout(timer)
  return verdict
}

function isConflict(error: unknown): boolean {
  return (error as {condition?: string} | undefined)?.condition === 'conflict'
}

function keptOld(): Error {
  return new Error('the server replaced the new session and kept the old one (<conflict/>)')
}

function resumeReconnect(client: XmppClient): void {
  client.reconnect.start()
  // A 'disconnect' seen while reconnect was off scheduled nothing.
  if (client.status === 'disconnect') client.reconnect.scheduleReconnect()
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/**
 * Make an @xmpp/client follow server-transfer packets. Returns the helper: `client` is
 * the client carrying the session now, events tell what happened, `stop()` detaches.
 */
export function followTransfers(client: XmppClient, options: FollowTransfersOptions = {}): TransferFollower {
  return new TransferFollower(client, options)
}
