import type {Element} from '@xmpp/xml'

import type {ReconnectingLink} from '../../connection/reconnecting-link.js'
import type {ControlAbilities, SessionControl} from '../../model/control.js'
import {splitResource} from './ejabberd-directory.js'
import type {EjabberdApi} from './http-api.js'

/**
 * Acting on an ejabberd cluster: iqs go out on the admin's one link (ejabberd routes
 * to a session on any node), stanzas as the domain and kicks through mod_http_api.
 */
export class EjabberdControl implements SessionControl {
  readonly abilities: ControlAbilities = {sendAsDomain: true, kick: true}

  constructor(private readonly api: EjabberdApi, private readonly admin: ReconnectingLink) {}

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

  async close(): Promise<void> {
    await this.admin.close()
  }
}
