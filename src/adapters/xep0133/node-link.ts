import type {Element} from '@xmpp/xml'

import type {AdminSession} from '../../connection/admin-session.js'
import {NODE_LINK_BACKOFF, ReconnectingLink} from '../../connection/reconnecting-link.js'
import type {Clock} from '../../model/clock.js'
import {AdHocCommands} from './ad-hoc-commands.js'

export interface Xep0133Node {
  /** The configured name (p-1). */
  name: string
  /** What sessions report as their server (the config's `server`, else the name). */
  server: string
  /** Where the admin logs in to this node's own service: xmpp://host:port. */
  service: string
}

/**
 * The admin's own XMPP session with one node of servers that do not route to each
 * other (Prosody instances): logged in on first use; while it is down after that,
 * calls fail at once (the node is left out of an answer) and it logs in again in
 * the background. Its ad-hoc command runner follows the live session.
 */
export class NodeLink {
  /** Whether the node offers `user-stats` (unknown until asked). */
  userStats: boolean | undefined
  /** Command round trips and the bytes of their answers (what listing this node costs). */
  readonly usage = {calls: 0, bytes: 0}
  private readonly link: ReconnectingLink
  private runner: {session: AdminSession; commands: AdHocCommands} | undefined

  constructor(
    readonly node: Xep0133Node,
    login: (node: Xep0133Node) => Promise<AdminSession>,
    clock: Clock,
    private readonly domain: string,
    private readonly timeoutMs?: number,
  ) {
    this.link = new ReconnectingLink(() => login(node), clock, {whileDown: 'fail-fast', backoff: NODE_LINK_BACKOFF, label: `${node.name} (${node.service})`})
  }

  /** The node's ad-hoc command runner (XEP-0050), on the live session. */
  async commands(): Promise<AdHocCommands> {
    const session = await this.link.session()
    if (this.runner?.session !== session) {
      const counted = async (iq: Element, timeoutMs?: number) => {
        this.usage.calls++
        const answer = await session.request(iq, timeoutMs)
        this.usage.bytes += Buffer.byteLength(answer.toString())
        return answer
      }
      this.runner = {session, commands: new AdHocCommands(counted, this.domain, this.timeoutMs)}
    }
    return this.runner.commands
  }

  /** An iq on the admin's own session with this node. */
  request(iq: Element, timeoutMs?: number): Promise<Element> {
    return this.link.request(iq, timeoutMs)
  }

  async close(): Promise<void> {
    this.runner = undefined
    await this.link.close()
  }
}
