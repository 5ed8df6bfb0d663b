import type {Element} from '@xmpp/xml'

import {UsageError} from '../errors.js'
import type {ServerAddress, StreamCondition} from '../protocol/index.js'
import type {MoveMethodName} from './transfer.js'

/**
 * How xtransfer acts on sessions: what it sends and closes. Built once per run
 * (cluster/open-cluster.ts) beside the read-only SessionDirectory.
 */
export interface SessionControl {
  /**
   * What this server lets us do besides sending iqs on the admin's own session: asked once
   * (whether the server companion is there) and kept.
   */
  abilities(): Promise<ControlAbilities>
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
  /**
   * Close a session's socket without a stream error, so that XEP-0198 keeps it resumable and
   * the client resumes it on another node (abilities.handover; refused when not resumable).
   */
  handover(session: SessionRef): Promise<ActionResult>
  /** `<see-other-host>` to this address (abilities.redirect). */
  redirect(session: SessionRef, to: ServerAddress): Promise<ActionResult>
  /** A stream error with this condition: the client's own reconnect logic takes over (abilities.close). */
  closeStream(session: SessionRef, condition: StreamCondition, text?: string): Promise<ActionResult>
  /** The node takes no new client connections (or sends them to `redirectTo`); its sessions stay (abilities.cordon). */
  cordon(node: string, redirectTo?: ServerAddress): Promise<void>
  uncordon(node: string): Promise<void>
  /** Each node's cordon, by configured node name (abilities.cordon). */
  cordons(): Promise<Map<string, CordonState>>
  /** How often the admin link dropped and came back during this run. */
  readonly reconnects: number
  close(): Promise<void>
}

export interface ControlAbilities {
  sendAsDomain: boolean
  kick: boolean
  /** The server companion is there: handover, redirect, close with a chosen condition, cordon. */
  handover: boolean
  redirect: boolean
  close: boolean
  cordon: boolean
}

/**
 * What one transfer run will ask of the server, known once it is planned: an adapter may
 * authorize exactly that, once, at the start of the run (ejabberd: a bearer token scoped to
 * the commands behind it).
 */
export interface RunNeeds {
  /** The rungs the run climbs (packet, handover, redirect, close). */
  methods: readonly MoveMethodName[]
  /** --fallback kick. */
  kick: boolean
  /** --from domain. */
  sendAsDomain: boolean
  /** A drain that cordons its source. */
  cordon: boolean
}

/** A session to act on: its full JID and the node it is on. */
export interface SessionRef {
  jid: string
  node: string
}

/** Without the server companion, none of its actions. */
export const NO_COMPANION = {handover: false, redirect: false, close: false, cordon: false} as const

/** What the server did with one action on a session. */
export type ActionResult =
  | {kind: 'done'}
  /** Not done, with the server's reason (e.g. `not-resumable`, `no-session`). */
  | {kind: 'refused'; reason: string}

export interface CordonState {
  cordoned: boolean
  /** `refuse`: new connections are refused; `redirect`: they get see-other-host to `redirect`. */
  mode?: 'refuse' | 'redirect'
  redirect?: string
}

/** The server cannot do what was asked of this control. */
export class NotSupportedError extends UsageError {
  constructor(what: string) {
    super(`${what} is not supported by this server`)
  }
}
