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
  /**
   * XEP-0198, when the server says (the companion): `pending` = its socket is gone and the
   * session waits for the client to resume it.
   */
  streamManagement?: 'none' | 'active' | 'pending'
  /** A socket close now would leave it resumable (the companion says). */
  resumable?: boolean
  /** The client's XEP-0115 caps node, when the server knows it: which software this is. */
  capsNode?: string
}

/** A node the server says is part of the cluster. */
export interface ServerView {
  server: string
  /** The configured name of that node, when the config names it. */
  node: string | undefined
}
