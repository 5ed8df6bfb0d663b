import type {Element} from '@xmpp/xml'

import {DirectoryError} from '../../errors.js'
import {type ControlAbilities, NotSupportedError, type SessionControl} from '../../model/control.js'
import type {SessionDirectory} from '../../model/directory.js'
import {adminCommand} from './ad-hoc-commands.js'
import type {NodeLink} from './node-link.js'
import {throwIfFailed} from './xep0133-directory.js'

/**
 * Acting on independent servers (Prosody instances) over the admin's link with each:
 * a packet for a session goes out on the link with that session's node (they do not
 * route to each other), a kick is XEP-0133 `end-user-session` on the node(s) listing it.
 */
export class Xep0133Control implements SessionControl {
  readonly abilities: ControlAbilities = {sendAsDomain: false, kick: true}

  constructor(private readonly links: NodeLink[], private readonly directory: Pick<SessionDirectory, 'sessionsOf'>) {}

  get reconnects(): number {
    return 0
  }

  /** Each node's link logs in on first use: a node that is down is not a reason to stop. */
  async open(): Promise<void> {}

  async request(node: string, iq: Element, timeoutMs: number): Promise<Element> {
    const link = this.links.find((candidate) => candidate.node.name === node)
    if (!link) throw new DirectoryError(`no configured node "${node}"`)
    return link.request(iq, timeoutMs)
  }

  async sendAsDomain(): Promise<void> {
    throw new NotSupportedError('sending as the domain (--from domain)')
  }

  /**
   * `end-user-session` on the node(s) that list this session (a bare JID: every session of
   * the user). Prosody closes the stream without an error or a reason text.
   */
  async kick(jid: string, _reason: string): Promise<void> {
    const bare = jid.split('/')[0]
    const sessions = (await this.directory.sessionsOf([bare])).get(bare) ?? []
    const nodes = new Set(sessions.filter((session) => session.jid === jid || jid === bare).map((session) => session.node))
    await Promise.all(this.links.filter((link) => nodes.has(link.node.name)).map(async (link) => {
      throwIfFailed(link, await (await link.commands()).run(adminCommand('end-user-session'), {accountjids: [jid]}))
    }))
  }

  async close(): Promise<void> {}
}
