import type {Element} from '@xmpp/xml'

import type {ReconnectingLink} from '../../connection/reconnecting-link.js'
import {
  type ActionResult,
  type ControlAbilities,
  type CordonState,
  NO_COMPANION,
  NotSupportedError,
  type SessionControl,
  type SessionRef,
} from '../../model/control.js'
import {formatServer, type ServerAddress, type StreamCondition} from '../../protocol/index.js'
import {COMPANION_PROTOCOL, type EjabberdCompanion} from './ejabberd-companion.js'
import {splitResource} from './ejabberd-directory.js'
import type {EjabberdApi} from './http-api.js'

export interface EjabberdControlOptions {
  api: EjabberdApi
  admin: ReconnectingLink
  companion: EjabberdCompanion
  /** The Erlang node of a configured node name, and back. */
  serverOf: (node: string) => string | undefined
  nodeOf: (server: string) => string | undefined
}

/**
 * Acting on an ejabberd cluster: iqs go out on the admin's one link (ejabberd routes
 * to a session on any node), stanzas as the domain and kicks through mod_http_api, and
 * with mod_xtransfer loaded: handover, see-other-host, a close with a chosen condition and
 * the cordon of a node.
 */
export class EjabberdControl implements SessionControl {
  private detected: Promise<ControlAbilities> | undefined

  constructor(private readonly options: EjabberdControlOptions) {}

  /** Asked once: whether mod_xtransfer (this protocol version) answers. */
  abilities(): Promise<ControlAbilities> {
    this.detected ??= this.options.companion.version().then((version) => ({
      sendAsDomain: true,
      kick: true,
      ...(version === COMPANION_PROTOCOL ? {handover: true, redirect: true, close: true, cordon: true} : NO_COMPANION),
    }))
    return this.detected
  }

  get reconnects(): number {
    return this.options.admin.reconnects
  }

  async open(): Promise<void> {
    await this.options.admin.start()
  }

  async request(_node: string, iq: Element, timeoutMs: number): Promise<Element> {
    return this.options.admin.request(iq, timeoutMs)
  }

  async sendAsDomain(stanza: string, from: string, to: string): Promise<void> {
    await this.options.api.call('send_stanza', {from, to, stanza})
  }

  async kick(jid: string, reason: string): Promise<void> {
    const [bare, resource] = splitResource(jid)
    const [user, host] = bare.split('@')
    await this.options.api.call('kick_session', {user, host, resource, reason})
  }

  async handover(session: SessionRef): Promise<ActionResult> {
    await this.require('handover')
    return this.options.companion.handover(session.jid)
  }

  async redirect(session: SessionRef, to: ServerAddress): Promise<ActionResult> {
    await this.require('redirect')
    return this.options.companion.redirect(session.jid, formatServer(to))
  }

  async closeStream(session: SessionRef, condition: StreamCondition, text = ''): Promise<ActionResult> {
    await this.require('close')
    if (condition === 'see-other-host') throw new TypeError('see-other-host needs a host: use redirect()')
    return this.options.companion.close(session.jid, condition, text)
  }

  async cordon(node: string, redirectTo?: ServerAddress): Promise<void> {
    await this.require('cordon')
    await this.options.companion.cordon(this.server(node), redirectTo ? formatServer(redirectTo) : '')
  }

  async uncordon(node: string): Promise<void> {
    await this.require('cordon')
    await this.options.companion.uncordon(this.server(node))
  }

  async cordons(): Promise<Map<string, CordonState>> {
    if (!(await this.abilities()).cordon) return new Map()
    const byServer = await this.options.companion.cordons()
    return new Map([...byServer].map(([server, state]) => [this.options.nodeOf(server) ?? server, state]))
  }

  async close(): Promise<void> {
    await this.options.admin.close()
  }

  private async require(ability: 'handover' | 'redirect' | 'close' | 'cordon'): Promise<void> {
    if (!(await this.abilities())[ability])
      throw new NotSupportedError(`${ability === 'close' ? 'a close with a chosen condition' : `a ${ability}`} (needs the server companion mod_xtransfer)`)
  }

  private server(node: string): string {
    const server = this.options.serverOf(node)
    if (!server) throw new NotSupportedError(`acting on "${node}", which is not a configured node`)
    return server
  }
}
