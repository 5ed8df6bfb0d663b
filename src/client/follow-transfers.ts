import {EventEmitter} from 'node:events'

import {type XmppClient} from '@xmpp/client'

import {type Answer, answerTransfers, ownDomain, type TransferAnswerer, type TransferOrder} from './answer-transfers.js'
import {asError, TransferStoppedError} from './errors.js'
import {type TransferEvents, type TransferStarted} from './events.js'
import {breakBeforeMake} from './moves/break-before-make.js'
import {makeBeforeBreak} from './moves/make-before-break.js'
import {type MoveDeps, type MoveOutcome, type OpenOptions} from './moves/outcome.js'
import {cloneClient, type ConnectContext, connectWith, offersTls} from './open-session.js'
import {type FollowTransfersOptions, type Settings, settingsOf} from './options.js'
import {whenReplySent, whenServerHasRead} from './reply-flush.js'
import {describeTarget, sameTarget, type SessionTarget} from './target.js'
import {type TargetPolicy, targetPolicy} from './target-policy.js'
import {normaliseAdmins} from './trust.js'
import {guardStreamManagementCount, reconnectIsActive, resumeReconnect, sendWithoutDelay} from './xmpp-internals.js'

/** How long to wait for our result to be written, then read by the server, before moving anyway. */
const REPLY_FLUSH_MS = 2000

interface Move {
  target: SessionTarget
  done: Promise<void>
  controller: AbortController
}

/**
 * Follow XEP-0051 server-transfer packets (jabber:iq:srvxfr and urn:xmpp:cxfr) on an
 * @xmpp/client: answer, then move the session where the packet says. `client` always
 * names the client currently carrying the session.
 *
 * The parts: answer-transfers.ts speaks the protocol on each client; moves/ holds one
 * file per way to move; open-session.ts opens the new session; xmpp-internals.ts is every
 * touch of xmpp.js below its public API. This class keeps the state between them.
 */
export class TransferFollower extends EventEmitter<TransferEvents> {
  #client: XmppClient
  #move: Move | undefined
  #stopped = false
  readonly #settings: Settings
  readonly #admins: ReadonlySet<string>
  readonly #checkTarget: TargetPolicy
  readonly #answerers = new WeakMap<XmppClient, TransferAnswerer>()
  readonly #boundAt = new WeakMap<XmppClient, number>()

  constructor(client: XmppClient, options: FollowTransfersOptions = {}) {
    super()
    this.#settings = settingsOf(options)
    this.#admins = normaliseAdmins(options.trustedAdmins)
    this.#checkTarget = targetPolicy(options.allowedServers)
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
    this.#answerers.get(this.#client)?.stop()
    const move = this.#move
    if (move) {
      move.controller.abort(new TransferStoppedError())
      await move.done
    }
  }

  /** The helper's handlers on `client` (once per client), and what the moves need to know about it. */
  #adopt = (client: XmppClient): void => {
    if (this.#stopped) return
    const known = this.#answerers.get(client)
    if (known) {
      known.start()
      return
    }
    // A new session binds while messages flow to it: see guardStreamManagementCount.
    guardStreamManagementCount(client)
    // When the session bound (at the latest now, if it is online already): see minSessionAge.
    const {timer} = this.#settings
    if (client.status === 'online') this.#boundAt.set(client, timer.now())
    client.on('online', () => this.#boundAt.set(client, timer.now()))
    this.#answerers.set(
      client,
      answerTransfers({
        entity: client,
        trustedAdmins: this.#admins,
        checkTarget: this.#checkTarget,
        advertise: this.#settings.advertise,
        identity: this.#settings.identity,
        onOrder: (order) => this.#onOrder(order),
        onRefused: (refusal) => this.emit('transfer-refused', refusal),
      }),
    )
  }

  /** A trusted, well-formed packet: carried out once, answered before the move starts. */
  #onOrder(order: TransferOrder): Answer {
    const {client, stanza, to} = order
    const {timer, mode} = this.#settings
    const received = timer.now()
    if (this.#move) {
      // A repeat of the order being carried out is acknowledged, not acted on twice.
      if (sameTarget(this.#move.target, to)) return {kind: 'result'}
      return {kind: 'refuse', type: 'cancel', condition: 'conflict', reason: `a transfer to ${describeTarget(this.#move.target)} is in progress`}
    }
    const here = {service: String(client.options.service ?? ''), domain: ownDomain(client)}
    const started: TransferStarted = {from: here, to, sender: order.sender, namespace: order.request.namespace, mode}
    const controller = new AbortController()
    // No Nagle delay for the result; register for its write now (it leaves after we return).
    sendWithoutDelay(client)
    const flushed = whenReplySent(client, stanza.attrs.id, REPLY_FLUSH_MS, timer).then(() => whenServerHasRead(client, REPLY_FLUSH_MS))
    const move: Move = {target: to, controller, done: Promise.resolve()}
    move.done = flushed
      .then(() => this.#carryOut(client, started, received, controller))
      .finally(() => {
        if (this.#move === move) this.#move = undefined
      })
    this.#move = move
    return {kind: 'result'}
  }

  async #carryOut(client: XmppClient, started: TransferStarted, received: number, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) {
      this.#report(started, received, {kind: 'failed', error: new TransferStoppedError(), client})
      return
    }
    this.emit('transfer-started', started)
    let outcome: MoveOutcome
    try {
      const deps = this.#depsFor(controller)
      outcome =
        started.mode === 'make-before-break'
          ? await makeBeforeBreak(client, started.to, {
              ...deps,
              conflictWait: this.#settings.conflictWait,
              minSessionAge: this.#settings.minSessionAge,
              boundAt: (c) => this.#boundAt.get(c),
            })
          : await breakBeforeMake(client, started.from, started.to, deps)
    } catch (error) {
      // A bug of ours must not leave the app without an answer.
      outcome = {kind: 'failed', error: asError(error), client: this.#client}
    }
    this.#report(started, received, outcome)
  }

  #report(started: TransferStarted, received: number, outcome: MoveOutcome): void {
    if (outcome.kind === 'moved') {
      const {client, previous, boundAt, oldStream} = outcome
      this.emit('transferred', {...started, client, previous, ms: boundAt - received, oldStream})
    } else {
      const {error, client} = outcome
      this.emit('transfer-failed', {...started, error, client, online: client.status === 'online', ms: this.#settings.timer.now() - received})
    }
  }

  #depsFor(move: AbortController): MoveDeps {
    const {timer, timeout, connect, credentials, createClient} = this.#settings
    return {
      timer,
      timeout,
      signal: move.signal,
      opensWithConnect: Boolean(connect),
      hasCredentials: Boolean(credentials),
      open: (target, previous, options) => this.#open(target, previous, move.signal, options),
      offersTls: (target, previous) => offersTls(target, {username: previous.jid?.local ?? '', timeout, timer, signal: move.signal, create: createClient}),
      handOver: (previous, next, hadReconnect, nextFromApp) => {
        if (next !== previous) this.#retire(previous, next)
        this.#reconnectAfterMove(next, hadReconnect, nextFromApp)
      },
    }
  }

  /**
   * The new session, opened by the app's connect() or by cloning the client. Each attempt
   * has its own abort signal (given up on: timeout), which `signal` (stop()) aborts too.
   */
  async #open(target: SessionTarget, previous: XmppClient, moveSignal: AbortSignal, options: OpenOptions = {}): Promise<XmppClient> {
    const signal = options.signal ?? moveSignal
    const attempt = new AbortController()
    const forward = () => attempt.abort(signal.reason)
    if (signal.aborted) forward()
    else signal.addEventListener('abort', forward)
    const context: ConnectContext = {
      resource: options.resource ?? previous.jid?.resource ?? '',
      signal: attempt.signal,
      previous,
      secure: options.requireTls ?? false,
    }
    const {connect, credentials, prepare, timeout, timer, createClient} = this.#settings
    try {
      if (connect) return await connectWith(connect, target, context, timeout, attempt, timer)
      if (!credentials) throw new Error('no credentials to open a new session with')
      return await cloneClient(target, context, {credentials, prepare, adopt: this.#adopt, timeout, timer, bindAfter: options.bindAfter, create: createClient})
    } finally {
      signal.removeEventListener('abort', forward)
    }
  }

  /**
   * Auto-reconnect on the client that carries the session after a move: as the moved
   * client had it, unless the option says otherwise; a client from the app's connect()
   * keeps what the app gave it unless the option is set.
   */
  #reconnectAfterMove(client: XmppClient, hadReconnect: boolean, fromApp: boolean): void {
    const wanted = this.#settings.reconnect ?? (fromApp ? undefined : hadReconnect)
    if (wanted === true && !reconnectIsActive(client)) resumeReconnect(client)
    if (wanted === false) client.reconnect.stop()
  }

  /** `next` carries the session from now on; `old` keeps no active handler. */
  #retire(old: XmppClient, next: XmppClient): void {
    this.#answerers.get(old)?.stop()
    this.#client = next
    if (this.#stopped) this.#answerers.get(next)?.stop()
    else this.#adopt(next)
  }
}

/**
 * Make an @xmpp/client follow server-transfer packets. Returns the helper: `client` is
 * the client carrying the session now, events tell what happened, `stop()` detaches.
 */
export function followTransfers(client: XmppClient, options: FollowTransfersOptions = {}): TransferFollower {
  return new TransferFollower(client, options)
}
