import {client as createClient, type ClientOptions, type XmppClient, xml} from '@xmpp/client'
import pLimit from 'p-limit'

import {type AllowedServers, followTransfers, guardStreamManagementCount, type TransferFollower, type TransferMode} from '../client/index.js'
import {bounded, systemTimer} from '../client/timer.js'
import {abandon, closeGracefully, dropDataAfterStreamEnd} from '../client/xmpp-internals.js'
import {type TransferNamespace} from '../protocol/index.js'
import {type Behaviour, BEHAVIOURS, ignoreTransfers, transferNamespaceOf} from './behaviours.js'
import {SessionClock} from './session-clock.js'

export interface FleetOptions {
  /**
   * Where the fleet logs in: `xmpp://127.0.0.1:25221`. PLAIN is forced: over STARTTLS
   * when the listener offers it, else over plain TCP (labs and staging only).
   */
  service: string
  domain: string
  /** Localparts of registered users. */
  users: readonly string[]
  password: string
  /** Each user's resource (default 'rehearsal'). */
  resource?: (user: string) => string
  /** Logins in flight at once (default 16). */
  parallelism?: number
  /** What each user does with a transfer packet (default 'follow'). */
  behaviour?: (user: string) => Behaviour
  /** How followers move (default make-before-break). */
  mode?: TransferMode
  /** Admin JIDs whose transfer packets followers obey, besides the domain. */
  trustedAdmins?: readonly string[]
  /**
   * Where followers may be sent (the helper's allowedServers). Default: any port of the
   * host in `service`, as a lab's nodes share one host; give the nodes' addresses for a
   * cluster whose nodes are different hosts (xtransfer simulate passes the config's).
   */
  allowedServers?: AllowedServers
  onEvent?: (event: FleetEvent) => void
  /**
   * Send initial presence after every bind, as a chat client does (default false). The
   * server's offline storage (ejabberd's mod_offline) hands stored messages over on it.
   */
  presence?: boolean
  /** Bound on one login, ms (default 15000); also bounds a follower's re-login. */
  loginTimeout?: number
  /** Tries per user before startFleet gives up on it (default 3). */
  loginAttempts?: number
  /** Bound on stop(), ms (default 10000). */
  stopTimeout?: number
  now?: () => number
}

export type FleetEvent =
  | {type: 'online'; user: string; jid: string; service: string; ms: number}
  | {type: 'login-failed'; user: string; attempt: number; error: Error}
  | {type: 'transfer-packet'; user: string; namespace: TransferNamespace; from: string}
  | {type: 'transferred'; user: string; from: string; to: string; ms: number; oldStream: string}
  | {type: 'transfer-failed'; user: string; to: string; error: Error; online: boolean}
  | {type: 'transfer-refused'; user: string; from: string; reason: string}
  | {type: 'offline'; user: string}
  /** A message with a body reached one of the user's sessions; `delayed` if it carries a XEP-0203 delay (stored and handed over later). */
  | {type: 'message'; user: string; from: string; id?: string; body: string; delayed: boolean}

export interface FleetUserStats {
  user: string
  /** The full JID (user@domain/resource). */
  jid: string
  behaviour: Behaviour
  /** Transfer packets (either namespace) that reached this user, answered or not. */
  packetsReceived: number
  transfers: number
  failedTransfers: number
  currentService: string
  online: boolean
  /** Time without a bound session since the first login, ms (an open gap included). */
  offlineMs: number
  gaps: number
  longestGapMs: number
  lastBoundAt: number | null
  failedLogins: number
  /** Messages with a body that reached the user's sessions. */
  messagesReceived: number
  lastError?: string
}

export interface FleetTotals {
  users: number
  online: number
  packetsReceived: number
  transfers: number
  failedTransfers: number
  failedLogins: number
  offlineMs: number
  usersWithGaps: number
  longestGapMs: number
  /** Users per current service. */
  byService: Record<string, number>
}

export interface Fleet {
  stats(): FleetUserStats[]
  totals(): FleetTotals
  /** The client carrying `user`'s session now (for tests and diagnostics). */
  clientOf(user: string): XmppClient | undefined
  /** Close every session gracefully; bounded by stopTimeout, then sockets are dropped. */
  stop(): Promise<void>
}

export class FleetStartError extends Error {
  constructor(
    readonly failures: ReadonlyArray<{user: string; error: Error}>,
    total: number,
  ) {
    const sample = failures
      .slice(0, 5)
      .map(({user, error}) => `${user}: ${error.message}`)
      .join('; ')
    super(`${failures.length} of ${total} users could not log in (${sample}${failures.length > 5 ? '; …' : ''})`)
    this.name = 'FleetStartError'
  }
}

interface Member {
  user: string
  jid: string
  resource: string
  behaviour: Behaviour
  client?: XmppClient
  helper?: TransferFollower
  clock: SessionClock
  packetsReceived: number
  transfers: number
  failedTransfers: number
  failedLogins: number
  messagesReceived: number
  lastError?: string
  /** When a client saw the server's <conflict/>: a replacement session is bound. */
  conflicts: WeakMap<XmppClient, number>
}

const NS_DELAY = 'urn:xmpp:delay'
const ENDED = new Set(['closing', 'close', 'disconnecting', 'disconnect', 'offline'])

/**
 * Log a rehearsal fleet in (PLAIN over plain TCP, bounded parallelism, no auto-reconnect)
 * and keep count of what each user saw. Resolves once every user is online; otherwise
 * closes those that made it and rejects with a FleetStartError.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const now = options.now ?? (() => performance.timeOrigin + performance.now())
  const loginTimeout = options.loginTimeout ?? 15_000
  const attempts = Math.max(1, options.loginAttempts ?? 3)
  const stopTimeout = options.stopTimeout ?? 10_000
  const timer = systemTimer()
  const allowedServers = options.allowedServers ?? [serviceHost(options.service)]
  const emit = (event: FleetEvent) => {
    try {
      options.onEvent?.(event)
    } catch {
      // A listener's bug must not stop the fleet.
    }
  }

  const members: Member[] = options.users.map((user) => {
    const resource = options.resource?.(user) ?? 'rehearsal'
    const behaviour = options.behaviour?.(user) ?? 'follow'
    if (!BEHAVIOURS.includes(behaviour)) throw new TypeError(`behaviour for ${user}: '${behaviour}' is not one of ${BEHAVIOURS.join(', ')}`)
    return {
      user,
      resource,
      behaviour,
      jid: `${user}@${options.domain}/${resource}`,
      clock: new SessionClock(now),
      packetsReceived: 0,
      transfers: 0,
      failedTransfers: 0,
      failedLogins: 0,
      messagesReceived: 0,
      conflicts: new WeakMap(),
    }
  })
  const byUser = new Map(members.map((member) => [member.user, member]))
  const plain =
    (user: string): NonNullable<ClientOptions['credentials']> =>
    (auth) =>
      auth({username: user, password: options.password}, 'PLAIN')

  function instrument(member: Member, client: XmppClient): void {
    dropDataAfterStreamEnd(client)
    guardStreamManagementCount(client)
    client.on('error', (error: {message?: string; condition?: string}) => {
      member.lastError = error?.message ?? String(error)
      if (error?.condition === 'conflict') member.conflicts.set(client, now())
    })
    client.on('stanza', (stanza) => {
      if (stanza.name === 'message') {
        const body = stanza.getChildText('body')
        if (body === null || body === undefined) return
        member.messagesReceived += 1
        emit({
          type: 'message',
          user: member.user,
          from: stanza.attrs.from ?? '',
          ...(stanza.attrs.id ? {id: stanza.attrs.id} : {}),
          body,
          delayed: Boolean(stanza.getChild('delay', NS_DELAY)),
        })
        return
      }
      const namespace = transferNamespaceOf(stanza)
      if (!namespace) return
      member.packetsReceived += 1
      emit({type: 'transfer-packet', user: member.user, namespace, from: stanza.attrs.from ?? ''})
    })
    client.on('status', (status: string) => {
      if (status === 'online') {
        member.clock.bound(client)
        if (options.presence) client.send(xml('presence')).catch(() => {})
      } else if (ENDED.has(status)) {
        // The session being moved got <conflict/>: the server bound its replacement first.
        // Whether that replacement holds is known when the move ends (see follow()).
        if (member.conflicts.has(client) && member.helper?.moving && member.helper.client === client) return
        const wasOnline = member.clock.read().online
        member.clock.unbound(client)
        if (wasOnline && !member.clock.read().online) emit({type: 'offline', user: member.user})
      }
    })
    if (member.behaviour === 'ignore') ignoreTransfers(client)
  }

  function follow(member: Member, client: XmppClient): TransferFollower {
    const helper = followTransfers(client, {
      mode: options.mode,
      trustedAdmins: options.trustedAdmins,
      allowedServers,
      credentials: plain(member.user),
      prepare: (fresh) => instrument(member, fresh),
      timeout: loginTimeout,
      reconnect: false,
    })
    helper.on('transferred', (event) => {
      member.transfers += 1
      // Make-before-break: the old client's session is over. Break-before-make reuses the
      // client (previous === client): its end and new bind were counted as they happened.
      if (event.previous !== event.client) member.clock.unbound(event.previous)
      emit({type: 'transferred', user: member.user, from: event.from.service, to: event.to.service, ms: event.ms, oldStream: event.oldStream})
    })
    helper.on('transfer-failed', (event) => {
      member.failedTransfers += 1
      member.lastError = event.error.message
      // The old session died of a <conflict/> while the new one failed: the gap began then.
      const at = member.conflicts.get(event.client)
      if (at !== undefined && event.client.status !== 'online') member.clock.unbound(event.client, at)
      emit({type: 'transfer-failed', user: member.user, to: event.to.service, error: event.error, online: event.online})
    })
    helper.on('transfer-refused', (event) => emit({type: 'transfer-refused', user: member.user, from: event.from, reason: event.reason}))
    return helper
  }

  async function logIn(member: Member): Promise<void> {
    let lastError: Error = new Error('no attempt')
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const started = now()
      const client = createClient({
        service: options.service,
        domain: options.domain,
        resource: member.resource,
        username: member.user,
        credentials: plain(member.user),
      })
      client.reconnect.stop()
      instrument(member, client)
      try {
        await bounded(client.start(), loginTimeout, new AbortController().signal, `login of ${member.jid}`, timer)
        member.client = client
        if (member.behaviour === 'follow') member.helper = follow(member, client)
        emit({type: 'online', user: member.user, jid: client.jid?.toString() ?? member.jid, service: options.service, ms: now() - started})
        return
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error))
        member.failedLogins += 1
        member.lastError = lastError.message
        emit({type: 'login-failed', user: member.user, attempt, error: lastError})
        await abandon(client)
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 200 * attempt))
      }
    }
    throw lastError
  }

  const current = (member: Member) => member.helper?.client ?? member.client

  let stopping: Promise<void> | undefined
  function stop(): Promise<void> {
    stopping ??= (async () => {
      const at = now()
      for (const member of members) member.clock.close(at)
      const closing = Promise.all(
        members.map(async (member) => {
          await member.helper?.stop()
          const client = current(member)
          if (client) await closeGracefully(client, stopTimeout)
        }),
      )
      const timer = new Promise<void>((resolve) => setTimeout(resolve, stopTimeout + 1000).unref())
      await Promise.race([closing, timer])
      for (const member of members) {
        const client = current(member)
        if (client && client.status !== 'offline') await abandon(client)
      }
    })()
    return stopping
  }

  const limit = pLimit(Math.max(1, options.parallelism ?? 16))
  const outcomes = await Promise.allSettled(members.map((member) => limit(() => logIn(member))))
  const failures = outcomes.flatMap((outcome, index) =>
    outcome.status === 'rejected'
      ? [{user: members[index].user, error: outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason))}]
      : [],
  )
  if (failures.length > 0) {
    await stop()
    throw new FleetStartError(failures, members.length)
  }

  function stats(): FleetUserStats[] {
    const at = now()
    return members.map((member) => {
      const reading = member.clock.read(at)
      const client = current(member)
      return {
        user: member.user,
        jid: client?.jid?.toString() ?? member.jid,
        behaviour: member.behaviour,
        packetsReceived: member.packetsReceived,
        transfers: member.transfers,
        failedTransfers: member.failedTransfers,
        currentService: String(client?.options.service ?? options.service),
        online: client?.status === 'online',
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
    const sum = (pick: (user: FleetUserStats) => number) => all.reduce((total, user) => total + pick(user), 0)
    return {
      users: all.length,
      online: all.filter((user) => user.online).length,
      packetsReceived: sum((user) => user.packetsReceived),
      transfers: sum((user) => user.transfers),
      failedTransfers: sum((user) => user.failedTransfers),
      failedLogins: sum((user) => user.failedLogins),
      offlineMs: sum((user) => user.offlineMs),
      usersWithGaps: all.filter((user) => user.gaps > 0).length,
      longestGapMs: Math.max(0, ...all.map((user) => user.longestGapMs)),
      byService,
    }
  }

  return {
    stats,
    totals,
    stop,
    clientOf: (user) => {
      const member = byUser.get(user)
      return member && current(member)
    },
  }
}

/** `xmpp://127.0.0.1:25221` → `127.0.0.1` (`[::1]` for IPv6), an allowedServers entry for any port. */
function serviceHost(service: string): string {
  try {
    const host = new URL(service).hostname
    if (host) return host
  } catch {
    // Not a URL: the line below says so.
  }
  throw new TypeError(`service "${service}" is not an xmpp:// URI`)
}
