import {EventEmitter} from 'node:events'

import type {Element} from '@xmpp/xml'

import {UnreachableError} from '../errors.js'
import type {Clock} from '../model/clock.js'
import type {AdminSession} from './admin-session.js'
import {ConnectionLostError, NotSentError} from './iq-exchange.js'
import {type Backoff, retry} from './retry.js'

export interface LinkPolicy {
  /**
   * While the link is down after its first login: `wait` for the next login (a run's
   * admin link: packets wait, with backoff, up to backoff.giveUpAfterMs), or `fail-fast`
   * and log in again in the background (a directory's link with one node of several:
   * a node that is down is left out of the answer, not waited for).
   */
  whileDown: 'wait' | 'fail-fast'
  backoff: Backoff
  /** Named in errors, e.g. `p-1 (xmpp://10.0.0.3:5222)`. */
  label: string
}

export const ADMIN_LINK_BACKOFF: Backoff = {initialDelayMs: 500, maxDelayMs: 8_000, giveUpAfterMs: 60_000}
/** fail-fast: a node whose login failed is not tried again sooner than this. */
export const NODE_LINK_BACKOFF: Backoff = {initialDelayMs: 2_000, maxDelayMs: 2_000, giveUpAfterMs: 0}

/**
 * One admin XMPP session that comes back after it drops: the run's admin link and each
 * XEP-0133 node link are this class with two policies. A request in flight when the link
 * drops fails with ConnectionLostError (its answer is lost: the caller decides, nothing is
 * ever re-sent here); a stanza that never left (NotSentError) goes out on the next stream.
 */
export class ReconnectingLink extends EventEmitter {
  reconnects = 0
  private current: AdminSession | undefined
  private connecting: Promise<AdminSession> | undefined
  private everConnected = false
  private tried = false
  private firstTrySettled = false
  private lastFailureAt = -Infinity
  private lastError: Error | undefined
  private closed = false

  constructor(
    private readonly open: () => Promise<AdminSession>,
    private readonly clock: Clock,
    private readonly policy: LinkPolicy,
  ) {
    super()
  }

  /** The first login; its failure is the caller's (classified: auth, unreachable, TLS…). */
  async start(): Promise<void> {
    await this.session()
  }

  /** The live session, per the policy while the link is down. */
  async session(): Promise<AdminSession> {
    if (this.current) return this.current
    if (this.closed) throw new UnreachableError(`${this.policy.label}: link closed`)
    if (!this.tried) return this.login(false)
    // The first login is waited for by every caller: before it, nothing is known about the peer.
    if (!this.firstTrySettled && this.connecting) return this.connecting
    if (this.policy.whileDown === 'wait') return this.connecting ?? this.login(true)
    if (!this.connecting && this.clock.now() - this.lastFailureAt >= this.policy.backoff.initialDelayMs) {
      this.login(false).catch(() => {})
    }
    throw new UnreachableError(`${this.policy.label}: not connected${this.lastError ? ` (${this.lastError.message})` : ''}`)
  }

  async request(iq: Element, timeoutMs?: number): Promise<Element> {
    for (;;) {
      const session = await this.session()
      try {
        return await session.request(iq, timeoutMs)
      } catch (error) {
        // It never left: the stream was already going. Send it on the next one.
        if (!(error instanceof NotSentError) || this.closed) throw error
        if (this.current === session) this.current = undefined
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true
    const session = this.current ?? (await this.connecting?.catch(() => undefined))
    this.current = undefined
    await session?.close()
  }

  private login(again: boolean): Promise<AdminSession> {
    this.tried = true
    const downSince = this.clock.now()
    const attempt = async () => {
      if (this.closed) throw new ConnectionLostError()
      return this.open()
    }
    this.connecting = (again ? retry(attempt, {backoff: this.policy.backoff, clock: this.clock, pauseFirst: true, retryable: () => !this.closed}) : attempt())
      .then(
        async (session) => {
          if (this.closed) {
            await session.close()
            throw new UnreachableError(`${this.policy.label}: link closed`)
          }
          if (this.everConnected) {
            this.reconnects++
            this.emit('reconnected', {downMs: this.clock.now() - downSince})
          }
          this.everConnected = true
          this.adopt(session)
          return session
        },
        (error: Error) => {
          this.lastFailureAt = this.clock.now()
          this.lastError = error
          throw error
        },
      )
      .finally(() => {
        this.connecting = undefined
        this.firstTrySettled = true
      })
    return this.connecting
  }

  private adopt(session: AdminSession): void {
    this.current = session
    session.once('disconnected', () => {
      if (this.current !== session || this.closed) return
      this.current = undefined
      this.emit('disconnected')
      if (this.policy.whileDown === 'wait') this.login(true).catch(() => {})
    })
  }
}
