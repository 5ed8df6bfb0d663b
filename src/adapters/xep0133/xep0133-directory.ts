import pLimit from 'p-limit'

import {ConnectionLostError, IqTimeoutError, NotSentError} from '../../connection/iq-exchange.js'
import {retry} from '../../connection/retry.js'
import {DirectoryError, UnreachableError} from '../../errors.js'
import type {Clock} from '../../model/clock.js'
import type {SessionDirectory} from '../../model/directory.js'
import type {ServerView, SessionInfo} from '../../model/session.js'
import {adminCommand, type CommandAnswer, CommandRefused} from './ad-hoc-commands.js'
import type {NodeLink, Xep0133Node} from './node-link.js'
import {type ListedSession, parseOnlineUsers, parseUserStats} from './sessions.js'

export interface Xep0133DirectoryOptions {
  /** The admin's link with each node (shared with Xep0133Control). */
  links: NodeLink[]
  /** How long every node may stay unreachable (retrying) before a call fails with exit 3. */
  retryForMs?: number
  /** Above this many users, one listing per node is cheaper than a `user-stats` call per user and node. */
  perUserLimit?: number
  clock: Clock
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
  private readonly links: NodeLink[]
  private readonly firstSeen = new Map<string, number>()

  constructor(private readonly options: Xep0133DirectoryOptions) {
    this.links = options.links
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
    const reachable = await this.eachNode(
      async (link) => {
        await link.commands()
        return [link.node]
      },
      {allowNone: true},
    )
    return reachable.flat().map((node) => ({server: node.server, node: node.name}))
  }

  private async listNode(link: NodeLink): Promise<SessionInfo[]> {
    const commands = await link.commands()
    const answer = await commands.run(adminCommand('get-online-users-list'), {max_items: 'all', details: true})
    throwIfFailed(link, answer)
    const listed = parseOnlineUsers(answer.form)
    let sessions = listed.sessions
    if (!listed.detailed && sessions.length > 0 && link.userStats !== false) {
      // Bare JIDs only: their resources, one call per user, if the server offers it.
      sessions =
        (await this.userStats(
          link,
          sessions.map((session) => session.bare),
        )) ?? sessions
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
      const perUser = await Promise.all(
        bares.map((bare) =>
          limit(async () => {
            const answer = await commands.run(adminCommand('user-stats'), {accountjid: bare})
            // Prosody: "User does not exist" is a completed command with an error note: nobody online.
            return parseUserStats(bare, answer.form)
          }),
        ),
      )
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
    const now = this.options.clock.now()
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
    return retry(
      async () => {
        const settled = await Promise.allSettled(this.links.map((link) => work(link)))
        const fatal = settled.findIndex((result) => result.status === 'rejected' && !isUnreachable(result.reason))
        if (fatal !== -1) throw asDirectoryError((settled[fatal] as PromiseRejectedResult).reason, this.links[fatal].node)
        const answered = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
        if (answered.length > 0 || allowNone) return answered
        throw new NoNodeAnswered(settled.map((result, index) => `${this.links[index].node.name}: ${(result as PromiseRejectedResult).reason?.message}`))
      },
      {
        clock: this.options.clock,
        backoff: {initialDelayMs: 250, maxDelayMs: 4_000, giveUpAfterMs: this.options.retryForMs ?? 20_000},
        retryable: (error) => error instanceof NoNodeAnswered,
        giveUp: (error, tries) =>
          new DirectoryError(
            `no node answered the admin commands (${(error as NoNodeAnswered).reasons.join('; ')}; ${tries} ${tries === 1 ? 'try' : 'tries'})`,
          ),
      },
    )
  }
}

class NoNodeAnswered extends Error {
  constructor(readonly reasons: string[]) {
    super('no node answered')
  }
}

/** A completed command with an error note (Prosody's way of saying "no"). */
export function throwIfFailed(link: NodeLink, answer: CommandAnswer): void {
  const error = answer.notes.find((note) => note.type === 'error')
  if (error) throw new DirectoryError(`${link.node.name}: ${answer.node.slice(answer.node.indexOf('#') + 1)} failed: ${error.text}`)
}

/** Network trouble with one node (left out of the answer), as opposed to a refusal (fails the call). */
function isUnreachable(error: unknown): boolean {
  return error instanceof UnreachableError || error instanceof IqTimeoutError || error instanceof ConnectionLostError || error instanceof NotSentError
}

function asDirectoryError(error: unknown, node: Xep0133Node): Error {
  if (error instanceof CommandRefused) {
    return new DirectoryError(
      error.forbidden
        ? `${node.name} (${node.service}): the admin JID may not run ${error.message} (is it in the server's admins list?)`
        : `${node.name} (${node.service}) refused ${error.message}`,
    )
  }
  return error as Error
}
