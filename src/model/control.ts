import type {Element} from '@xmpp/xml'

/**
 * How xtransfer acts on sessions: what it sends and closes. Built once per run
 * (cluster/open-cluster.ts) beside the read-only SessionDirectory.
 */
export interface SessionControl {
  /** What this server lets us do besides sending iqs on the admin's own session. */
  readonly abilities: ControlAbilities
  /**
   * Log the admin in where packets go out, before the first one (a refused login is
   * then an error before anything was sent, not a failed send).
   */
  open(): Promise<void>
  /**
   * An iq to a session on `node`, sent on the admin's own session (ejabberd: the one
   * admin link routes everywhere; independent servers: the link with that node).
   * Resolves with the answering iq, result or error alike.
   */
  request(node: string, iq: Element, timeoutMs: number): Promise<Element>
  /** Deliver a stanza with the bare domain as sender (abilities.sendAsDomain). */
  sendAsDomain(stanza: string, from: string, to: string): Promise<void>
  /** Close one session, the server's own way (abilities.kick). */
  kick(jid: string, reason: string): Promise<void>
  /** How often the admin link dropped and came back during this run. */
  readonly reconnects: number
  close(): Promise<void>
}

export interface ControlAbilities {
  sendAsDomain: boolean
  kick: boolean
}

/** The server cannot do what was asked of this control. */
export class NotSupportedError extends Error {
  constructor(what: string) {
    super(`${what} is not supported by this server`)
    this.name = 'NotSupportedError'
  }
}
