import {EventEmitter} from 'node:events'

import type {XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

import {destroySocket, startUntilOnline} from '../client/xmpp-internals.js'
import {TlsError} from '../errors.js'
import {classifyLoginError} from './classify-error.js'
import {followRedirects} from './follow-redirects.js'
import {createIqExchange} from './iq-exchange.js'
import {SCRAM_SHA_1_ALIAS, useScramSha1} from './scram-sha-1.js'
import {redactSasl} from './xml-trace.js'

/**
 * @xmpp/client on first use: ~110 ms of CPU to load (measured), which a command that only
 * lists, or a run still planning, need not wait for. `preloadXmppClient()` starts it early.
 */
let xmppClient: Promise<typeof import('@xmpp/client')> | undefined
export function preloadXmppClient(): Promise<typeof import('@xmpp/client')> {
  xmppClient ??= import('@xmpp/client')
  return xmppClient
}

export interface AdminLogin {
  /** Bare admin JID, e.g. admin@example.org. */
  jid: string
  password: string
  /** xmpp://host:port (STARTTLS) or xmpps://host:port (direct TLS). */
  service: string
  /** Allow a login over plain TCP: the lab's setting, never the default. */
  insecurePlain: boolean
  resource: string
  timeoutMs?: number
  /** Receives each XML line in and out, SASL payloads redacted. */
  trace?: (direction: 'in' | 'out', xml: string) => void
}

export interface AdminSession extends EventEmitter {
  /** The admin's full JID once online. */
  readonly jid: string
  /** Send an iq and resolve with the answering iq (result or error). Gets follow XEP-0051 redirects. */
  request(iq: Element, timeoutMs?: number): Promise<Element>
  send(stanza: Element): Promise<void>
  close(): Promise<void>
}

/** Log in as the admin; fails with one classified error (auth, unreachable, unknown host, TLS). */
export async function connectAdmin(login: AdminLogin): Promise<AdminSession> {
  const [username, domain] = login.jid.split('@')
  const {client} = await preloadXmppClient()
  const xmpp = client({
    service: login.service,
    domain,
    resource: login.resource,
    timeout: login.timeoutMs ?? 10_000,
    credentials: async (authenticate, mechanisms) => {
      if (!login.insecurePlain && !xmpp.isSecure()) {
        throw new TlsError(`${login.service} offered no TLS (STARTTLS); refusing to send the password in the clear (set admin.insecurePlain only for a lab)`)
      }
      // Over TLS the strongest offered mechanism first; xmpp.js avoids PLAIN on a plain socket by itself.
      const mechanism = xmpp.isSecure() ? mechanisms[0] : mechanisms.find((name) => name !== 'PLAIN')
      await authenticate({username, password: login.password}, fastScram && mechanism === 'SCRAM-SHA-1' ? SCRAM_SHA_1_ALIAS : mechanism)
    },
  })
  const fastScram = xmpp.saslFactory !== undefined
  if (xmpp.saslFactory) useScramSha1(xmpp.saslFactory)
  // We decide about reconnecting ourselves: a lost admin link must not silently replay anything.
  xmpp.reconnect.stop()
  if (login.trace) {
    const trace = login.trace
    xmpp.on('element', (element: Element) => trace('in', redactSasl(element)))
    xmpp.on('send', (element: Element) => trace('out', redactSasl(element)))
  }

  let firstError: unknown
  const onError = (error: unknown) => {
    firstError ??= error
  }
  xmpp.on('error', onError)
  try {
    // Online is what counts, even if start() has not resolved (xmpp-internals: startUntilOnline;
    // 3 of 8 logins in test/unit/sasl-redaction.test.ts timed out on a loaded machine without it).
    await withTimeout(startUntilOnline(xmpp), (login.timeoutMs ?? 10_000) + 2_000, login.service)
  } catch (error) {
    await xmpp.stop().catch(() => {})
    throw classifyLoginError(firstError ?? error, login.service)
  }
  xmpp.removeListener('error', onError)
  return new XmppAdminSession(xmpp, login.timeoutMs ?? 30_000)
}

class XmppAdminSession extends EventEmitter implements AdminSession {
  private readonly iq
  private closing = false

  constructor(
    private readonly xmpp: XmppClient,
    timeoutMs: number,
  ) {
    super()
    this.iq = createIqExchange(xmpp, timeoutMs)
    xmpp.on('error', (error: Error) => this.emit('connection-error', error))
    xmpp.on('offline', () => this.iq.rejectAll())
    xmpp.on('disconnect', () => {
      this.iq.rejectAll()
      if (!this.closing) this.emit('disconnected')
    })
  }

  get jid(): string {
    return this.xmpp.jid?.toString() ?? ''
  }

  async request(iq: Element, timeoutMs?: number): Promise<Element> {
    if (iq.attrs.type === 'get') {
      // The seed compares envelopes attribute by attribute: state `from` ourselves so both sides know it.
      iq.attrs.from ??= this.jid
      return followRedirects((next) => this.iq.exchange(next, timeoutMs), iq)
    }
    return this.iq.exchange(iq, timeoutMs)
  }

  async send(stanza: Element): Promise<void> {
    await this.xmpp.send(stanza)
  }

  async close(): Promise<void> {
    this.closing = true
    this.iq.stop()
    const closed = await withTimeout(this.xmpp.stop(), 3_000, 'closing').then(
      () => true,
      () => false,
    )
    // The same race on the way out (the server's </stream:stream> parsed before stop() listens
    // for it) left stop() waiting out its whole timeout, and the process alive that long.
    if (!closed) destroySocket(this.xmpp)
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not answer within ${ms} ms`), {code: 'ETIMEDOUT'})), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
