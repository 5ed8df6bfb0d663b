import type {Element} from '@xmpp/xml'

/** One live session as a directory reports it. */
export interface SessionInfo {
  /** Full JID, user@domain/resource. */
  jid: string
  bare: string
  resource: string
  /** The configured node name (node-1), or the server's own name when no configured node matches. */
  node: string
  /** The server's own name for the node, e.g. ejabberd1@localhost. */
  server: string
  ip?: string
  port?: number
  uptimeSeconds: number
}

export interface ServerView {
  server: string
  node: string | undefined
}

/**
 * How xtransfer lists sessions and the nodes they are on. The engine reads a
 * directory only through this interface.
 */
export interface SessionDirectory {
  /** Every session in the cluster. */
  listSessions(): Promise<SessionInfo[]>
  /** The sessions of these bare JIDs only: the cost follows the number of users asked about. */
  sessionsOf(bareJids: string[]): Promise<Map<string, SessionInfo[]>>
  /** The nodes the server says form the cluster. */
  listServers(): Promise<ServerView[]>
  /** Deliver a stanza with the bare domain as sender, when the server allows it. */
  sendAsDomain?(stanza: string, from: string, to: string): Promise<void>
  /** Close one session (fallback for clients that ignore transfers). */
  kick?(jid: string, reason: string): Promise<void>
  /**
   * Send an iq on the admin's own session with this node, for servers whose
   * nodes do not route to each other's sessions (independent instances).
   */
  requestOn?(node: string, iq: Element, timeoutMs?: number): Promise<Element>
  /** Let go of what the directory holds open (connections), when it has any. */
  close?(): Promise<void>
  /** Calls made and bytes read so far, for the report and the benchmark. */
  readonly usage: {calls: number; bytes: number}
}
