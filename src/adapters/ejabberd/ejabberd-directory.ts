import pLimit from 'p-limit'

import type {SessionDirectory} from '../../model/directory.js'
import type {ServerView, SessionInfo} from '../../model/session.js'
import type {CompanionSession, EjabberdCompanion, LocatedSession} from './ejabberd-companion.js'
import type {EjabberdApi} from './http-api.js'

/** connected_users_info row (ejabberd 23.01). */
interface ConnectedUserRow {
  jid: string
  ip?: string
  port?: number
  node: string
  uptime: number
  resource?: string
}

/** user_sessions_info row: like the above without the jid. */
type UserSessionRow = Omit<ConnectedUserRow, 'jid'>

export interface EjabberdDirectoryOptions {
  api: EjabberdApi
  /** Configured node name for each server name, e.g. ejabberd1@localhost → node-1. */
  nodeByServer: Map<string, string>
  /** Per-user lookups in flight at once. */
  lookupConcurrency?: number
  /** The bound on listing an empty cluster; 10 ms per session of the last listing is added. */
  listingTimeoutMs: number
  /** Above this many users, one listing instead of a call each (default: perUserLimit() of the cluster's size). */
  perUserLimit?: number
  /** mod_xtransfer, when `present()` says it is loaded: per-node listings and batch lookups. */
  companion?: {client: EjabberdCompanion; present: () => Promise<boolean>}
}

/**
 * Pending users above which one connected_users_info costs the servers less CPU than a
 * user_sessions_info each, for a cluster of `sessions`. Measured on the lab with
 * bench/tracking/crossover.ts (docs/performance.md, "Tracking without the companion"; 3 nodes,
 * load average ~20): a per-user call cost 10-16 ms of beam CPU with HTTP Basic (the PBKDF2) and
 * 0.9-2.5 ms with a bearer token; a listing ~0.45 ms per session either way. The CPU crossover
 * was 100, 190, 558, 521 pending users at 500, 1,000, 2,000, 3,000 sessions with a token (19 %,
 * 19 %, 28 %, 17 %) and 14, 29, 67, 155 with Basic (2.8 %, 2.9 %, 3.4 %, 5.2 %): the lower shares.
 */
export function perUserLimit(sessions: number, withToken: boolean): number {
  return Math.max(withToken ? MIN_WITH_TOKEN : MIN_WITH_BASIC, Math.round(sessions * (withToken ? SHARE_WITH_TOKEN : SHARE_WITH_BASIC)))
}
const SHARE_WITH_TOKEN = 0.19
const SHARE_WITH_BASIC = 0.03
/**
 * Below a few hundred sessions either way costs a few ms of server CPU a poll (a listing of an
 * empty cluster cost what one call does); per-user calls keep the bytes per poll proportional
 * to what is pending.
 */
const MIN_WITH_TOKEN = 16
const MIN_WITH_BASIC = 8

/** How long a stock listing serves sessionsOn and sessionCounts (planning calls them back to back). */
const LISTING_REUSE_MS = 1_000

/** Users per xtransfer_locate call: one call per batch keeps each answer small. */
const LOCATE_BATCH = 1_000

/** Sessions and nodes from ejabberd's HTTP API (mod_http_api + mod_admin_extra). */
export class EjabberdDirectory implements SessionDirectory {
  private readonly limit
  /** Rows of the last listing: how long the next may take, and when per-user calls are cheaper. */
  private lastListingRows = 0
  private listed: {at: number; sessions: SessionInfo[]} | undefined

  constructor(private readonly options: EjabberdDirectoryOptions) {
    this.limit = pLimit(options.lookupConcurrency ?? 16)
  }

  async listSessions(): Promise<SessionInfo[]> {
    const companion = await this.companion()
    if (companion) {
      // Each node lists its own sessions, all at once: ejabberd's connected_users_info asks every
      // session process in turn from one node; with the companion each node asks its own.
      const servers = await this.options.api.call<string[]>('list_cluster')
      const perNode = await Promise.all(servers.map(async (server) => (await companion.nodeSessions(server)).map((row) => this.fromCompanion(server, row))))
      this.lastListingRows = perNode.reduce((sum, rows) => sum + rows.length, 0)
      return perNode.flat()
    }
    // ejabberd asks each session's process in turn: on nodes busy with logins that is ~5 ms a
    // session (listings of 5,000 took up to 12 s in the benchmark), so the bound grows with the cluster.
    const timeoutMs = this.options.listingTimeoutMs + 10 * this.lastListingRows
    const rows = await this.options.api.call<ConnectedUserRow[]>('connected_users_info', {}, {timeoutMs})
    this.lastListingRows = rows.length
    return rows.map((row) => this.toSession(row.jid, row))
  }

  /**
   * One node's sessions. With the companion that node lists its own (a drain of 50,000 out of
   * 10^6 reads 50,000 rows, bench:scale); without it, the cluster's listing filtered, kept a
   * second for the sessionCounts() that planning asks next.
   */
  async sessionsOn(node: string): Promise<SessionInfo[]> {
    const companion = await this.companion()
    if (companion) {
      const server = [...this.options.nodeByServer].find(([, name]) => name === node)?.[0] ?? node
      return (await companion.nodeSessions(server)).map((row) => this.fromCompanion(server, row))
    }
    return (await this.recentListing()).filter((session) => session.node === node)
  }

  /** Sessions per node (configured names), every session counted: each node counts its own table with the companion. */
  async sessionCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    const companion = await this.companion()
    if (companion) {
      for (const [server, count] of await companion.sessionCounts()) counts.set(this.options.nodeByServer.get(server) ?? server, count)
      return counts
    }
    for (const session of await this.recentListing()) counts.set(session.node, (counts.get(session.node) ?? 0) + 1)
    return counts
  }

  /** The stock listing, reused for a second: sessionsOn and sessionCounts one after the other cost one listing. */
  private async recentListing(): Promise<SessionInfo[]> {
    const fresh = this.freshListing()
    if (fresh) return fresh
    const sessions = await this.listSessions()
    this.listed = {at: Date.now(), sessions}
    return sessions
  }

  /** The last stock listing, if it is under LISTING_REUSE_MS old. */
  private freshListing(): SessionInfo[] | undefined {
    return this.listed && Date.now() - this.listed.at < LISTING_REUSE_MS ? this.listed.sessions : undefined
  }

  async sessionsOf(bareJids: string[]): Promise<Map<string, SessionInfo[]>> {
    const wanted = [...new Set(bareJids)]
    const found = new Map<string, SessionInfo[]>(wanted.map((bare) => [bare, []]))
    const companion = await this.companion()
    if (companion) {
      // One index read per user on the server, whatever the cluster's size: the cost follows what is pending.
      for (let start = 0; start < wanted.length; start += LOCATE_BATCH) {
        for (const row of await companion.locate(wanted.slice(start, start + LOCATE_BATCH))) found.get(row.bare)?.push(this.fromLocated(row))
      }
      return found
    }
    const limit = this.options.perUserLimit ?? perUserLimit(this.lastListingRows, this.options.api.usesToken('user_sessions_info'))
    if (wanted.length > limit) {
      // Planning asks for the moving users right after sessionsOn: the listing it made serves, once.
      const planned = this.freshListing()
      this.listed = undefined
      for (const session of planned ?? (await this.listSessions())) found.get(session.bare)?.push(session)
      return found
    }
    await Promise.all(
      wanted.map((bare) =>
        this.limit(async () => {
          const [user, host] = bare.split('@')
          const rows = await this.options.api.call<UserSessionRow[]>('user_sessions_info', {user, host})
          found.set(
            bare,
            rows.map((row) => this.toSession(`${bare}/${row.resource ?? ''}`, row)),
          )
        }),
      ),
    )
    return found
  }

  async listServers(): Promise<ServerView[]> {
    const servers = await this.options.api.call<string[]>('list_cluster')
    return servers.map((server) => ({server, node: this.options.nodeByServer.get(server)}))
  }

  private async companion(): Promise<EjabberdCompanion | undefined> {
    const companion = this.options.companion
    return companion && (await companion.present()) ? companion.client : undefined
  }

  private fromCompanion(server: string, row: CompanionSession): SessionInfo {
    const [bare, resource] = splitResource(row.jid)
    return {
      jid: row.jid,
      bare,
      resource,
      node: this.options.nodeByServer.get(server) ?? server,
      server,
      ip: row.ip || undefined,
      port: row.port,
      uptimeSeconds: Number(row.uptime) || 0,
      ...(row.sm === 'unknown' ? {} : {streamManagement: row.sm}),
      resumable: row.resumable === 'true',
      ...(row.caps_node ? {capsNode: row.caps_node} : {}),
    }
  }

  private fromLocated(row: LocatedSession): SessionInfo {
    const [bare, resource] = splitResource(row.jid)
    return {
      jid: row.jid,
      bare,
      resource,
      node: this.options.nodeByServer.get(row.node) ?? row.node,
      server: row.node,
      ...(row.ip ? {ip: row.ip, port: row.port} : {}),
      uptimeSeconds: Number(row.uptime) || 0,
      ...(row.sm === 'unknown' ? {} : {streamManagement: row.sm}),
    }
  }

  private toSession(jid: string, row: UserSessionRow): SessionInfo {
    const [bare, resource] = splitResource(jid)
    return {
      jid,
      bare,
      resource: row.resource ?? resource,
      node: this.options.nodeByServer.get(row.node) ?? row.node,
      server: row.node,
      ip: row.ip,
      port: row.port,
      uptimeSeconds: Number(row.uptime) || 0,
    }
  }
}

export function splitResource(jid: string): [string, string] {
  const slash = jid.indexOf('/')
  return slash === -1 ? [jid, ''] : [jid.slice(0, slash), jid.slice(slash + 1)]
}
