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
}
