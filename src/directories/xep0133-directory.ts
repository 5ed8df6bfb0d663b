import type {Element} from '@xmpp/xml'
import pLimit from 'p-limit'

import type {AdminSession} from '../connection/admin-session.js'
import {DirectoryError, UnreachableError} from '../errors.js'
import {ServerView, SessionDirectory, SessionInfo} from './session-directory.js'
import {adminCommand, AdHocCommands, CommandAnswer, CommandRefused} from './xep0133-commands.js'
import {ListedSession, parseOnlineUsers, parseUserStats} from './xep0133-sessions.js'

export interface Xep0133Node {
  /** The configured name (p-1). */
  name: string
  /** What sessions report as their server (the config's `server`, else the name). */
  server: string
  /** Where the admin logs in to this node's own service: xmpp://host:port. */
  service: string
}

export interface Xep0133DirectoryOptions {
  /** The domain whose sessions are listed; the commands are sent to it. */
  domain: string
  nodes: Xep0133Node[]
  /** Log the admin in to one node (never the connection that sends transfer packets: another resource). */
  login: (node: Xep0133Node) => Promise<AdminSession>
  /** Bound on one command's answer. */
  timeoutMs?: number
  /** How long every node may stay unreachable (retrying) before a call fails with exit 3. */
  retryForMs?: number
  /** Above this many users, one listing per node is cheaper than a `user-stats` call per user and node. */
  perUserLimit?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

/**
 * Sessions from servers that speak XEP-0133 (Service Administration) over ad-hoc
 * commands, one node at a time: the admin logs in to each configured node's own
 * service and asks it for its sessions, so each node must list only its own (true
 * of independent servers such as Prosody; not of ejabberd, whose lists are
 * cluster-wide — use the ejabberd directory there).
 *
 * Full JIDs come from `get-online-users-list` with Prosody's `details` field, else
 * from `user-stats` per user; a server that gives neither is tracked by bare JID
 * (sessions with an empty resource). Servers do not report a session's age: the
 * uptime is the time since this directory first listed the session (a lower
 * bound), which is what reconnection tracking needs.
 */
export class Xep0133Directory implements SessionDirectory {
  readonly usage = {calls: 0, bytes: 0}
  private readonly links: NodeLink[]
  private readonly firstSeen = new Map<string, number>()
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly options: Xep0133DirectoryOptions) {
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.links = options.nodes.map((node) => new NodeLink(node, options, this.usage))
  }

  async listSessions(): Promise<SessionInfo[]> {
    const perNode = await this.eachNode((link) => this.listNode(link))
    return perNode.flat()
  }

  async sessionsOf(bareJids: string[]): Promise<Map<string, SessionInfo[]>> {
    const wanted = [...new Set(bareJids)]
    const found = new Map<string, SessionInfo[]>(wanted.map((bare) => [bare, []]))
    const perUser = wanted.length <= (this.options.perUserLimit ?? 8)
    const perNode = await this.eachNode(async (link) => {
      if (perUser && link.userStats !== false) {
        const sessions = await this.userStats(link, wanted)
        if (sessions) return sessions
      }
      return this.listNode(link)
    })
    for (const session of perNode.flat()) found.get(session.bare)?.push(session)
    return found
  }

  /** The configured nodes whose service the admin can log in to and use now. */
  async listServers(): Promise<ServerView[]> {
    const reachable = await this.eachNode(async (link) => {
      await link.commands()
      return [link.node]
    }, {allowNone: true})
    return reachable.flat().map((node) => ({server: node.server, node: node.name}))
  }

  /**
   * `end-user-session` on the node(s) that list this session (a bare JID: every session of
   * the user). Prosody closes the stream without an error or a reason text.
   */
  async kick(jid: string, _reason: string): Promise<void> {
    const bare = jid.split('/')[0]
    const sessions = (await this.sessionsOf([bare])).get(bare) ?? []
    const nodes = new Set(sessions.filter((session) => session.jid === jid || jid === bare).map((session) => session.node))
    await Promise.all(this.links.filter((link) => nodes.has(link.node.name)).map(async (link) => {
      const answer = await (await link.commands()).run(adminCommand('end-user-session'), {accountjids: [jid]})
      throwIfFailed(link, answer)
    }))
  }

  /**
   * Independent servers only route to their own sessions: a packet for a
   * session on a node goes out on the admin's session with that node.
   */
  async requestOn(node: string, iq: Element, timeoutMs?: number): Promise<Element> {
    const link = this.links.find((candidate) => candidate.node.name === node)
    if (!link) throw new DirectoryError(`no configured node "${node}"`)
    return link.request(iq, timeoutMs)
  }

  async close(): Promise<void> {
    await Promise.all(this.links.map((link) => link.close()))
  }

  private async listNode(link: NodeLink): Promise<SessionInfo[]> {
    const commands = await link.commands()
    const answer = await commands.run(adminCommand('get-online-users-list'), {max_items: 'all', details: true})
    throwIfFailed(link, answer)
    const listed = parseOnlineUsers(answer.form)
    let sessions = listed.sessions
    if (!listed.detailed && sessions.length > 0 && link.userStats !== false) {
      // Bare JIDs only: their resources, one call per user, if the server offers it.
      sessions = (await this.userStats(link, sessions.map((session) => session.bare))) ?? sessions
    }
    const infos = sessions.map((session) => this.toSession(link.node, session))
    this.forgetGone(link.node, infos)
    return infos
  }

  /** The sessions of these users on one node via `user-stats`, or undefined if the node does not offer it. */
  private async userStats(link: NodeLink, bares: string[]): Promise<SessionInfo[] | undefined> {
    const commands = await link.commands()
    const limit = pLimit(8)
    try {
      const perUser = await Promise.all(bares.map((bare) => limit(async () => {
        const answer = await commands.run(adminCommand('user-stats'), {accountjid: bare})
        // Prosody: "User does not exist" is a completed command with an error note: nobody online.
        return parseUserStats(bare, answer.form)
      })))
      link.userStats = true
      return perUser.flat().map((session) => this.toSession(link.node, session))
    } catch (error) {
      if (error instanceof CommandRefused && error.unavailable) {
        link.userStats = false
        return undefined
      }
      throw error
    }
  }

  private toSession(node: Xep0133Node, listed: ListedSession): SessionInfo {
    const resource = listed.resource ?? ''
    const jid = resource ? `${listed.bare}/${resource}` : listed.bare
    const key = `${node.name} ${jid}`
    const now = this.now()
    const since = this.firstSeen.get(key) ?? now
    this.firstSeen.set(key, since)
    return {jid, bare: listed.bare, resource, node: node.name, server: node.server, ip: listed.ip, uptimeSeconds: Math.floor((now - since) / 1000)}
  }

  /** After a whole node was listed: sessions no longer there start afresh if they come back. */
  private forgetGone(node: Xep0133Node, listed: SessionInfo[]): void {
    const present = new Set(listed.map((session) => `${node.name} ${session.jid}`))
    for (const key of this.firstSeen.keys()) {
      if (key.startsWith(`${node.name} `) && !present.has(key)) this.firstSeen.delete(key)
    }
  }

  /**
   * Run `work` on every node at once. A node that cannot be reached is left out (its
   * sessions are gone or unknowable); a refusal (login, permission) fails the call. When
   * no node answers, it retries with backoff for retryForMs, then fails with exit 3.
   */
  private async eachNode<T>(work: (link: NodeLink) => Promise<T[]>, {allowNone = false} = {}): Promise<T[][]> {
    const started = this.now()
    let delay = 250
    for (let attempt = 1; ; attempt++) {
      const settled = await Promise.allSettled(this.links.map((link) => work(link)))
      const fatal = settled.findIndex((result) => result.status === 'rejected' && !isUnreachable(result.reason))
      if (fatal !== -1) throw asDirectoryError((settled[fatal] as PromiseRejectedResult).reason, this.links[fatal].node)
      const answered = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
      if (answered.length > 0 || allowNone) return answered
      const reasons = settled.map((result, index) => `${this.links[index].node.name}: ${(result as PromiseRejectedResult).reason?.message}`)
      if (this.now() - started + delay > (this.options.retryForMs ?? 20_000)) {
        throw new DirectoryError(`no node answered the admin commands (${reasons.join('; ')}; ${attempt} ${attempt === 1 ? 'try' : 'tries'})`)
      }
      await this.sleep(delay)
      delay = Math.min(delay * 2, 4_000)
    }
  }
}

/** A node whose login failed is not tried again sooner than this. */
const RELOGIN_PAUSE_MS = 2_000

/** The admin's own XMPP session with one node, opened on first use and again after it drops. */
class NodeLink {
  /** Whether the node offers `user-stats` (unknown until asked). */
  userStats: boolean | undefined
  private session: AdminSession | undefined
  private runner: AdHocCommands | undefined
  private connecting: Promise<AdHocCommands> | undefined
  private firstLoginDone = false
  private lastFailure = -Infinity
  private lastError: Error | undefined
  private closed = false

  constructor(readonly node: Xep0133Node, private readonly options: Xep0133DirectoryOptions, private readonly usage: {calls: number; bytes: number}) {}

  /**
   * The node's command runner. While a new login to a node that already failed or
   * dropped is under way, calls do not wait for it: the node counts as unreachable.
   */
  async commands(): Promise<AdHocCommands> {
    if (this.runner) return this.runner
    if (this.closed) throw new UnreachableError(`${this.node.name}: directory closed`)
    const now = (this.options.now ?? Date.now)()
    if (!this.connecting && now - this.lastFailure >= RELOGIN_PAUSE_MS) {
      this.connecting = this.connect()
        .catch((error) => {
          this.lastFailure = (this.options.now ?? Date.now)()
          this.lastError = error as Error
          throw error
        })
        .finally(() => {
          this.connecting = undefined
          this.firstLoginDone = true
        })
    }
    // The first login is waited for: before it, nothing is known about the node.
    if (!this.firstLoginDone && this.connecting) return this.connecting
    this.connecting?.catch(() => {})
    throw new UnreachableError(`${this.node.name} (${this.node.service}): not connected${this.lastError ? ` (${this.lastError.message})` : ''}`)
  }

  /** An iq on the admin's own session with this node (logging in first if needed). */
  async request(iq: Parameters<AdminSession['request']>[0], timeoutMs?: number) {
    await this.commands()
    if (!this.session) throw new UnreachableError(`${this.node.name} (${this.node.service}): not connected`)
    return this.session.request(iq, timeoutMs)
  }

  async close(): Promise<void> {
    this.closed = true
    const session = this.session ?? await this.connecting?.then(() => this.session, () => undefined)
    this.session = undefined
    this.runner = undefined
    await session?.close()
  }

  private async connect(): Promise<AdHocCommands> {
    const session = await this.options.login(this.node)
    if (this.closed) {
      await session.close()
      throw new UnreachableError(`${this.node.name}: directory closed`)
    }
    const counted = async (iq: Parameters<AdminSession['request']>[0], timeoutMs?: number) => {
      this.usage.calls++
      const answer = await session.request(iq, timeoutMs)
      this.usage.bytes += Buffer.byteLength(answer.toString())
      return answer
    }
    this.session = session
    this.runner = new AdHocCommands(counted, this.options.domain, this.options.timeoutMs)
    session.once('disconnected', () => {
      if (this.session !== session) return
      this.session = undefined
      this.runner = undefined
    })
    return this.runner
  }
}

/** A completed command with an error note (Prosody's way of saying "no"). */
function throwIfFailed(link: NodeLink, answer: CommandAnswer): void {
  const error = answer.notes.find((note) => note.type === 'error')
  if (error) throw new DirectoryError(`${link.node.name}: ${answer.node.slice(answer.node.indexOf('#') + 1)} failed: ${error.text}`)
}

/** Network trouble with one node (left out of the answer), as opposed to a refusal (fails the call). */
function isUnreachable(error: unknown): boolean {
  if (error instanceof UnreachableError) return true
  const name = (error as Error | undefined)?.name
  return name === 'IqTimeoutError' || name === 'ConnectionLostError' || name === 'NotSentError'
}

function asDirectoryError(error: unknown, node: Xep0133Node): Error {
  if (error instanceof CommandRefused) {
    return new DirectoryError(error.forbidden
      ? `${node.name} (${node.service}): the admin JID may not run ${error.message} (is it in the server's admins list?)`
      : `${node.name} (${node.service}) refused ${error.message}`)
  }
  return error as Error
}
