import {EventEmitter} from 'node:events'

import {Element} from '@xmpp/xml'

import type {Clock} from '../model/clock.js'
import type {AdminSession} from './admin-session.js'
import {ConnectionLostError} from './iq-exchange.js'

export interface ReconnectPolicy {
  /** First pause before logging in again; doubles each try. */
  initialDelayMs: number
  maxDelayMs: number
  /** Give up when the link has been down this long. */
  giveUpAfterMs: number
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {initialDelayMs: 500, maxDelayMs: 8_000, giveUpAfterMs: 60_000}

/**
 * The admin link for a long run: when the stream drops, it logs in again with
 * backoff while requests wait; a request that was in flight when the link
 * dropped fails with ConnectionLostError (its answer is lost — the caller
 * decides, it is never re-sent here).
 */
export class ReconnectingAdmin extends EventEmitter {
  private session: AdminSession | undefined
  private reconnecting: Promise<AdminSession> | undefined
  private closed = false
  reconnects = 0

  constructor(private readonly open: () => Promise<AdminSession>, private readonly clock: Clock, private readonly policy = DEFAULT_RECONNECT) {
    super()
  }

  async start(): Promise<void> {
    this.adopt(await this.open())
  }

  async request(iq: Element, timeoutMs?: number): Promise<Element> {
    for (;;) {
      const session = this.session ?? await this.ready()
      try {
        return await session.request(iq, timeoutMs)
      } catch (error) {
        // It never left: the stream was already going. Send it on the next one.
        if ((error as Error).name !== 'NotSentError' || this.closed) throw error
        if (this.session === session) this.session = undefined
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true
    await this.session?.close()
  }

  private adopt(session: AdminSession) {
    this.session = session
    session.once('disconnected', () => {
      if (this.session !== session || this.closed) return
      this.session = undefined
      this.emit('disconnected')
      void this.ready().catch(() => {})
    })
  }

  /** The live session, logging in again first if the link is down. */
  private ready(): Promise<AdminSession> {
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined
    })
    return this.reconnecting
  }

  private async reconnect(): Promise<AdminSession> {
    const downSince = this.clock.now()
    let delay = this.policy.initialDelayMs
    for (;;) {
      await this.clock.sleep(delay)
      if (this.closed) throw new ConnectionLostError()
      try {
        const session = await this.open()
        this.reconnects++
        this.adopt(session)
        this.emit('reconnected', {downMs: this.clock.now() - downSince})
        return session
      } catch (error) {
        if (this.clock.now() - downSince >= this.policy.giveUpAfterMs) throw error
        delay = Math.min(delay * 2, this.policy.maxDelayMs)
      }
    }
  }
}
