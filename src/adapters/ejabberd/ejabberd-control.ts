import type {Element} from '@xmpp/xml'

import type {ReconnectingLink} from '../../connection/reconnecting-link.js'
import {type ActionResult, type ControlAbilities, type CordonState, NO_COMPANION, NotSupportedError, type SessionControl, type SessionRef} from '../../model/control.js'
import type {ServerAddress, StreamCondition} from '../../protocol/index.js'
import {splitResource} from './ejabberd-directory.js'
import type {EjabberdApi} from './http-api.js'

/**
 * Acting on an ejabberd cluster: iqs go out on the admin's one link (ejabberd routes
 * to a session on any node), stanzas as the domain and kicks through mod_http_api.
 */
export class EjabberdControl implements SessionControl {
  constructor(private readonly api: EjabberdApi, private readonly admin: ReconnectingLink) {}

  async abilities(): Promise<ControlAbilities> {
    return {sendAsDomain: true, kick: true, ...NO_COMPANION}
  }

  get reconnects(): number {
    return this.admin.reconnects
  }

  async open(): Promise<void> {
    await this.admin.start()
  }

  async request(_node: string, iq: Element, timeoutMs: number): Promise<Element> {
    return this.admin.request(iq, timeoutMs)
  }

  async sendAsDomain(stanza: string, from: string, to: string): Promise<void> {
    await this.api.call('send_stanza', {from, to, stanza})
  }

  async kick(jid: string, reason: string): Promise<void> {
    const [bare, resource] = splitResource(jid)
    const [user, host] = bare.split('@')
    await this.api.call('kick_session', {user, host, resource, reason})
  }

  async handover(_session: SessionRef): Promise<ActionResult> {
    throw new NotSupportedError('a handover (the companion module)')
  }

  async redirect(_session: SessionRef, _to: ServerAddress): Promise<ActionResult> {
    throw new NotSupportedError('see-other-host (the companion module)')
  }

  async closeStream(_session: SessionRef, _condition: StreamCondition): Promise<ActionResult> {
    throw new NotSupportedError('a close with a chosen condition (the companion module)')
  }

  async cordon(_node: string): Promise<void> {
    throw new NotSupportedError('a cordon (the companion module)')
  }

  async uncordon(_node: string): Promise<void> {
    throw new NotSupportedError('a cordon (the companion module)')
  }

  async cordons(): Promise<Map<string, CordonState>> {
    return new Map()
  }

  async close(): Promise<void> {
    await this.admin.close()
  }
}
