import type {ActionResult, CordonState} from '../../model/control.js'
import type {EjabberdApi} from './http-api.js'
import {UnknownCommandError} from './http-api.js'

/** The companion protocol this code speaks (mod_xtransfer's `xtransfer_version`). */
export const COMPANION_PROTOCOL = 2

/** How mod_xtransfer answers a command that can fail (docs/servers.md): never by HTTP status. */
interface Outcome {
  result: 'ok' | 'refused' | 'invalid' | 'error'
  reason: string
  text: string
}

export interface CompanionSession {
  jid: string
  ip?: string
  port?: number
  uptime: number
  sm: 'none' | 'active' | 'pending' | 'unknown'
  /** `"true"` / `"false"`: ejabberd commands return booleans as atoms. */
  resumable?: string
  caps_node?: string
  caps_ver?: string
}

export interface LocatedSession {
  bare: string
  jid: string
  /** The Erlang node. */
  node: string
  uptime: number
  sm: CompanionSession['sm']
  /** The client's address (added after protocol 1's first release: may be absent). */
  ip?: string
  port?: number
}

/** The companion refused a whole request (a bad argument, a node down, the module missing there). */
export class CompanionError extends Error {
  constructor(
    readonly command: string,
    readonly result: string,
    readonly reason: string,
    text: string,
  ) {
    super(`${command}: ${result} ${reason}${text ? ` (${text})` : ''}`)
    this.name = 'CompanionError'
  }
}

/**
 * mod_xtransfer's commands over mod_http_api, as typed values: it does what only the server
 * can (find a session, close it a certain way, stop a listener) and answers facts.
 */
export class EjabberdCompanion {
  constructor(private readonly api: EjabberdApi) {}

  /** The companion's protocol version, or undefined when the module is not loaded on the node asked. */
  async version(): Promise<number | undefined> {
    try {
      return (await this.api.call<{version: number; node: string}>('xtransfer_version')).version
    } catch (error) {
      if (error instanceof UnknownCommandError) return undefined
      throw error
    }
  }

  /** Every session whose process runs on that Erlang node, worked out on it. */
  async nodeSessions(node: string): Promise<CompanionSession[]> {
    const answer = await this.api.call<Outcome & {sessions: CompanionSession[]}>('xtransfer_node_sessions', {node})
    if (answer.result !== 'ok') throw new CompanionError('xtransfer_node_sessions', answer.result, answer.reason, answer.text)
    return answer.sessions
  }

  /** Every session of these bare JIDs in the cluster: one index read per user. */
  async locate(users: string[]): Promise<LocatedSession[]> {
    if (users.length === 0) return []
    const answer = await this.api.call<Outcome & {sessions: LocatedSession[]}>('xtransfer_locate', {users})
    if (answer.result !== 'ok') throw new CompanionError('xtransfer_locate', answer.result, answer.reason, answer.text)
    return answer.sessions
  }

  /**
   * How many sessions each Erlang node holds, each node counting its own table (nothing is
   * asked of the sessions): what planning a drain needs of the nodes it does not drain. A node
   * that did not answer is left out.
   */
  async sessionCounts(): Promise<Map<string, number>> {
    const rows = await this.api.call<Array<{node: string; sessions: number; reason: string}>>('xtransfer_session_counts')
    return new Map(rows.filter((row) => row.sessions >= 0).map((row) => [row.node, row.sessions]))
  }

  handover(jid: string): Promise<ActionResult> {
    return this.act('xtransfer_handover', {jid})
  }

  redirect(jid: string, host: string): Promise<ActionResult> {
    return this.act('xtransfer_redirect', {jid, host})
  }

  close(jid: string, condition: string, text: string): Promise<ActionResult> {
    return this.act('xtransfer_close', {jid, condition, text})
  }

  async cordon(node: string, redirect: string): Promise<void> {
    const answer = await this.api.call<Outcome>('xtransfer_cordon', {node, redirect})
    if (answer.result !== 'ok') throw new CompanionError('xtransfer_cordon', answer.result, answer.reason, answer.text)
  }

  async uncordon(node: string): Promise<void> {
    const answer = await this.api.call<Outcome>('xtransfer_uncordon', {node})
    if (answer.result !== 'ok') throw new CompanionError('xtransfer_uncordon', answer.result, answer.reason, answer.text)
  }

  /** Each Erlang node's cordon (nodes that are down or lack the module are left out). */
  async cordons(): Promise<Map<string, CordonState>> {
    const rows = await this.api.call<Array<{node: string; cordoned: string; mode: string; redirect: string}>>('xtransfer_cordons')
    return new Map(
      rows
        .filter((row) => row.cordoned !== 'unknown')
        .map((row) => [
          row.node,
          row.cordoned === 'true'
            ? {cordoned: true, mode: row.mode === 'redirect' ? 'redirect' : 'refuse', ...(row.redirect ? {redirect: row.redirect} : {})}
            : {cordoned: false},
        ]),
    )
  }

  /**
   * Anything about this one session (no such session, not resumable, its process did not
   * answer, its node is down or lacks the module) is the action's answer: the session goes to
   * the next rung. A bad argument (a host or condition we built) is an error of the run.
   */
  private async act(command: string, args: Record<string, string>): Promise<ActionResult> {
    const answer = await this.api.call<Outcome>(command, args)
    if (answer.result === 'ok') return {kind: 'done'}
    if (answer.result === 'invalid') throw new CompanionError(command, answer.result, answer.reason, answer.text)
    return {kind: 'refused', reason: answer.reason}
  }
}
