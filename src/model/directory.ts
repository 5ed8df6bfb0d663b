import type {ServerView, SessionInfo} from './session.js'

/**
 * How xtransfer lists sessions and the nodes they are on: read-only. The engine
 * reads a server only through this interface (and acts through SessionControl).
 */
export interface SessionDirectory {
  /** Every session in the cluster. */
  listSessions(): Promise<SessionInfo[]>
  /** The sessions of these bare JIDs only: the cost follows the number of users asked about. */
  sessionsOf(bareJids: string[]): Promise<Map<string, SessionInfo[]>>
  /** The nodes the server says form the cluster. */
  listServers(): Promise<ServerView[]>
  /**
   * Optional: the sessions on one node (by the name SessionInfo.node gives it), without listing
   * the others: the rows listSessions would give for it, the admin's own included, in any order.
   * With it and sessionCounts, a drain is planned from its source's sessions: 50,000 rows
   * instead of the cluster's 10^6 (bench:scale), and a rebalance holds one node's at a time.
   * ejabberd's companion lists one node per call.
   */
  sessionsOn?(node: string): Promise<SessionInfo[]>
  /**
   * Optional: how many sessions each node holds (by the name SessionInfo.node gives it), every
   * session counted, the admin's included; a node left out holds none.
   */
  sessionCounts?(): Promise<Map<string, number>>
}
