// Ordinary clients for the bench (issue 12 §5): unmodified @xmpp/client 0.14 apps, no
// xtransfer helper. Each keeps the library's own reconnect (1 s after every disconnect) and
// stream management (XEP-0198 with resumption, the library's default), advertises XEP-0115
// caps with node https://xmpp.js.org in its initial presence and answers disco#info for
// them (an app's job; test/clients/xmppjs-client.ts does the same), so the ladder recognises
// the library. Two app choices, both said in docs/performance.md:
// - after the first login each client's service is node-2 or node-3, as it would be once the
//   operator has taken the drained node out of DNS SRV or the load balancer before draining
//   (docs/servers.md): an unmodified client reconnects to its configured service;
// - PLAIN over STARTTLS (an app may pick it; @xmpp/client picks SCRAM-SHA-1 by itself):
//   SCRAM costs ~160 ms of client CPU per login (lab notes), and thousands of clients on
//   2 cores would measure the fleet instead of the cluster. The server's cost is the same
//   (passwords are stored as SCRAM, so it runs PBKDF2 for PLAIN too).
// The crowd is a Fleet (src/fleet), so the worker's collect/counts/stop treat both alike.
import {createHash} from 'node:crypto'

import {client as createClient, type ClientOptions, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'
import pLimit from 'p-limit'

import type {Fleet, FleetEvent, FleetTotals, FleetUserStats} from '../../src/fleet/index.js'
import {transferNamespaceOf} from '../../src/fleet/behaviours.js'
import {SessionClock} from '../../src/fleet/session-clock.js'

const NS_CAPS = 'http://jabber.org/protocol/caps'
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'
const NS_DELAY = 'urn:xmpp:delay'
export const ORDINARY_CAPS_NODE = 'https://xmpp.js.org'
const IDENTITY = {category: 'client', type: 'pc', name: 'xtransfer bench ordinary client'}
const FEATURES = [NS_CAPS, NS_DISCO_INFO].sort()
/** XEP-0115 §5.1 over the identity and features answered below. */
const CAPS_VER = createHash('sha1')
  .update(`${IDENTITY.category}/${IDENTITY.type}//${IDENTITY.name}<${FEATURES.map((f) => `${f}<`).join('')}`)
  .digest('base64')

/** What a crowd reports besides the fleet's events: the library's reconnects. */
export type CrowdEvent =
  | {type: 'reconnecting'; user: string}
  /** Bound again after a disconnect: a resumed XEP-0198 session, or a new one. */
  | {type: 'rebound'; user: string; resumed: boolean; service: string}
  /** An error the library emitted (a stream error, a failed attempt). */
  | {type: 'error'; user: string; condition: string | null; text: string}

export interface OrdinaryOptions {
  /** Where each client logs in first (the node to be drained). */
  service: string
  domain: string
  users: readonly string[]
  password: string
  /** Each client's service once it is online: where the library reconnects to. */
  reconnectTo: (user: string) => string
  resource?: string
  parallelism?: number
  reconnectDelayMs?: number
  loginTimeout?: number
  onEvent: (event: FleetEvent) => void
  onCrowdEvent: (event: CrowdEvent) => void
  now: () => number
}

interface Member {
  user: string
  jid: string
  client: XmppClient
  clock: SessionClock
  connectedTo: string
  packetsReceived: number
  rebounds: number
  failedLogins: number
  messagesReceived: number
  lastError?: string
}

export async function startOrdinaryClients(options: OrdinaryOptions): Promise<Fleet> {
  const {now} = options
  const resource = options.resource ?? 'rehearsal'
  const loginTimeout = options.loginTimeout ?? 30_000
  const members = new Map<string, Member>()

  const make = (user: string): Member => {
    const client = createClient({
      service: options.service,
      domain: options.domain,
      resource,
      username: user,
      credentials: ((auth) => auth({username: user, password: options.password}, 'PLAIN')) satisfies NonNullable<ClientOptions['credentials']>,
    })
    client.reconnect.delay = options.reconnectDelayMs ?? 1000
    const member: Member = {
      user,
      jid: `${user}@${options.domain}/${resource}`,
      client,
      clock: new SessionClock(now),
      connectedTo: options.service,
      packetsReceived: 0,
      rebounds: 0,
      failedLogins: 0,
      messagesReceived: 0,
    }
    let everOnline = false
    client.on('connecting', (service: string) => (member.connectedTo = service))
    client.on('error', (error: {condition?: string; text?: string; message?: string} | undefined) => {
      member.lastError = error?.message ?? String(error)
      options.onCrowdEvent({type: 'error', user, condition: error?.condition ?? null, text: member.lastError})
    })
    client.reconnect.on('reconnecting', () => options.onCrowdEvent({type: 'reconnecting', user}))
    const bound = (resumed: boolean) => {
      member.clock.bound(client)
      if (!everOnline) {
        everOnline = true
        return
      }
      member.rebounds++
      options.onCrowdEvent({type: 'rebound', user, resumed, service: member.connectedTo})
    }
    client.on('status', (status: string) => {
      if (status === 'online') {
        // A new session (not a resumption): initial presence with caps, as a chat app sends.
        client.send(xml('presence', {}, xml('c', {xmlns: NS_CAPS, hash: 'sha-1', node: ORDINARY_CAPS_NODE, ver: CAPS_VER}))).catch(() => {})
        bound(false)
      } else if (status === 'disconnect' || status === 'offline') {
        const wasOnline = member.clock.read().online
        member.clock.unbound(client)
        if (wasOnline) options.onEvent({type: 'offline', user})
      }
    })
    // The typings know the counters only; the object is an EventEmitter.
    ;(client.streamManagement as unknown as NodeJS.EventEmitter).on('resumed', () => bound(true))
    client.iqCallee.get(NS_DISCO_INFO, 'query', () =>
      xml('query', {xmlns: NS_DISCO_INFO}, xml('identity', IDENTITY), ...FEATURES.map((v) => xml('feature', {var: v}))),
    )
    client.on('stanza', (stanza: Element) => {
      if (stanza.name === 'message') {
        const body = stanza.getChildText('body')
        if (body === null || body === undefined) return
        member.messagesReceived++
        options.onEvent({
          type: 'message',
          user,
          from: stanza.attrs.from ?? '',
          ...(stanza.attrs.id ? {id: stanza.attrs.id} : {}),
          body,
          delayed: Boolean(stanza.getChild('delay', NS_DELAY)),
        })
        return
      }
      const namespace = transferNamespaceOf(stanza)
      if (namespace) {
        member.packetsReceived++
        options.onEvent({type: 'transfer-packet', user, namespace, from: stanza.attrs.from ?? ''})
      }
    })
    return member
  }

  async function logIn(user: string): Promise<void> {
    let lastError: Error = new Error('no attempt')
    for (let attempt = 1; attempt <= 3; attempt++) {
      const member = make(user)
      const started = now()
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          member.client.start(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`login of ${member.jid} took over ${loginTimeout} ms`)), loginTimeout))),
        ])
        clearTimeout(timer)
        member.failedLogins = attempt - 1
        members.set(user, member)
        // From now on the library reconnects elsewhere (the drained node is out of DNS / the balancer).
        member.client.options.service = options.reconnectTo(user)
        options.onEvent({type: 'online', user, jid: member.jid, service: options.service, ms: now() - started})
        return
      } catch (error) {
        clearTimeout(timer)
        lastError = error instanceof Error ? error : new Error(String(error))
        options.onEvent({type: 'login-failed', user, attempt, error: lastError})
        member.client.reconnect.stop()
        await member.client.stop().catch(() => {})
      }
    }
    throw lastError
  }

  const limit = pLimit(Math.max(1, options.parallelism ?? 16))
  const outcomes = await Promise.allSettled(options.users.map((user) => limit(() => logIn(user))))
  const failed = outcomes.filter((outcome) => outcome.status === 'rejected').length
  if (failed > 0) {
    await stop()
    const first = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
    throw new Error(`${failed} of ${options.users.length} ordinary clients could not log in (${(first?.reason as Error | undefined)?.message})`)
  }

  function stats(): FleetUserStats[] {
    const at = now()
    return [...members.values()].map((member) => {
      const reading = member.clock.read(at)
      return {
        user: member.user,
        jid: member.jid,
        behaviour: 'refuse',
        packetsReceived: member.packetsReceived,
        transfers: member.rebounds,
        failedTransfers: 0,
        currentService: member.connectedTo,
        online: member.client.status === 'online',
        offlineMs: reading.offlineMs,
        gaps: reading.gaps,
        longestGapMs: reading.longestGapMs,
        lastBoundAt: reading.lastBoundAt,
        failedLogins: member.failedLogins,
        messagesReceived: member.messagesReceived,
        ...(member.lastError ? {lastError: member.lastError} : {}),
      }
    })
  }

  function totals(): FleetTotals {
    const all = stats()
    const byService: Record<string, number> = {}
    for (const user of all) if (user.online) byService[user.currentService] = (byService[user.currentService] ?? 0) + 1
    return {
      users: all.length,
      online: all.filter((user) => user.online).length,
      packetsReceived: all.reduce((n, user) => n + user.packetsReceived, 0),
      transfers: all.reduce((n, user) => n + user.transfers, 0),
      failedTransfers: 0,
      failedLogins: all.reduce((n, user) => n + user.failedLogins, 0),
      offlineMs: all.reduce((n, user) => n + user.offlineMs, 0),
      usersWithGaps: all.filter((user) => user.gaps > 0).length,
      longestGapMs: Math.max(0, ...all.map((user) => user.longestGapMs)),
      byService,
    }
  }

  async function stop(): Promise<void> {
    const at = now()
    for (const member of members.values()) {
      member.clock.close(at)
      member.client.reconnect.stop()
    }
    const closing = Promise.all([...members.values()].map((member) => member.client.stop().catch(() => {})))
    await Promise.race([closing, new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())])
    members.clear()
  }

  return {stats, totals, clientOf: (user) => members.get(user)?.client, stop}
}
