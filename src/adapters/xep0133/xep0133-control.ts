import type {Element} from '@xmpp/xml'

import {DirectoryError} from '../../errors.js'
import {
  type ActionResult,
  type ControlAbilities,
  type CordonState,
  NO_COMPANION,
  NotSupportedError,
  type SessionControl,
  type SessionRef,
} from '../../model/control.js'
import type {SessionDirectory} from '../../model/directory.js'
import {formatServer, type ServerAddress, type StreamCondition} from '../../protocol/index.js'
import {adminCommand, CommandRefused} from './ad-hoc-commands.js'
import type {NodeLink} from './node-link.js'
import {type CloseCondition, CompanionRefused, ProsodyCompanion} from './prosody-companion.js'
import {throwIfFailed} from './xep0133-directory.js'

/**
 * Acting on independent servers (Prosody instances) over the admin's link with each:
 * a packet for a session goes out on the link with that session's node (they do not
 * route to each other), a kick is XEP-0133 `end-user-session` on the node(s) listing it,
 * and with the companion module (mod_xtransfer) on every node: see-other-host, a close with
 * a chosen condition, a cordon. No handover: independent servers cannot resume each other's
 * sessions (docs/servers.md).
 */
export class Xep0133Control implements SessionControl {
  private detected: Promise<ControlAbilities> | undefined

  constructor(
    private readonly links: NodeLink[],
    private readonly directory: Pick<SessionDirectory, 'sessionsOf'>,
  ) {}

  /** The companion's actions when every node that answers has it (asked once). */
  abilities(): Promise<ControlAbilities> {
    this.detected ??= (async () => {
      const present = await Promise.all(
        this.links.map(async (link) => {
          try {
            await new ProsodyCompanion(await link.commands()).status()
            return true
          } catch (error) {
            if (error instanceof CommandRefused && error.unavailable) return false
            // A node that cannot be reached now says nothing either way.
            return undefined
          }
        }),
      )
      const answered = present.filter((has) => has !== undefined)
      const companion = answered.length > 0 && answered.every(Boolean)
      return {sendAsDomain: false, kick: true, ...NO_COMPANION, ...(companion ? {redirect: true, close: true, cordon: true} : {})}
    })()
    return this.detected
  }

  get reconnects(): number {
    return 0
  }

  /** Each node's link logs in on first use: a node that is down is not a reason to stop. */
  async open(): Promise<void> {}

  async request(node: string, iq: Element, timeoutMs: number): Promise<Element> {
    return this.link(node).request(iq, timeoutMs)
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
    await Promise.all(
      this.links
        .filter((link) => nodes.has(link.node.name))
        .map(async (link) => {
          throwIfFailed(link, await (await link.commands()).run(adminCommand('end-user-session'), {accountjids: [jid]}))
        }),
    )
  }

  async handover(_session: SessionRef): Promise<ActionResult> {
    throw new NotSupportedError('a handover between independent servers')
  }

  async redirect(session: SessionRef, to: ServerAddress): Promise<ActionResult> {
    return this.act(session, (companion) => companion.redirectSession(session.jid, formatServer(to)))
  }

  async closeStream(session: SessionRef, condition: StreamCondition, text?: string): Promise<ActionResult> {
    if (condition === 'see-other-host') throw new TypeError('see-other-host needs a host: use redirect()')
    return this.act(session, (companion) => companion.closeSession(session.jid, condition as CloseCondition, text))
  }

  async cordon(node: string, redirectTo?: ServerAddress): Promise<void> {
    const companion = await this.companion(node)
    await companion.cordon(redirectTo ? {mode: 'redirect', to: formatServer(redirectTo)} : {mode: 'refuse'})
  }

  async uncordon(node: string): Promise<void> {
    await (await this.companion(node)).uncordon()
  }

  async cordons(): Promise<Map<string, CordonState>> {
    const states = await Promise.all(
      this.links.map(async (link): Promise<[string, CordonState] | undefined> => {
        try {
          const {cordon} = await new ProsodyCompanion(await link.commands()).status()
          return [
            link.node.name,
            cordon.mode === 'none' ? {cordoned: false} : {cordoned: true, mode: cordon.mode, ...(cordon.mode === 'redirect' ? {redirect: cordon.to} : {})},
          ]
        } catch {
          return undefined
        }
      }),
    )
    return new Map(states.filter((state) => state !== undefined))
  }

  async close(): Promise<void> {}

  private link(node: string): NodeLink {
    const link = this.links.find((candidate) => candidate.node.name === node)
    if (!link) throw new DirectoryError(`no configured node "${node}"`)
    return link
  }

  private async companion(node: string): Promise<ProsodyCompanion> {
    return new ProsodyCompanion(await this.link(node).commands())
  }

  /** A refusal of the companion (an unknown session, a bad host) is the action's answer, not a failure of the run. */
  private async act(session: SessionRef, action: (companion: ProsodyCompanion) => Promise<unknown>): Promise<ActionResult> {
    try {
      await action(await this.companion(session.node))
      return {kind: 'done'}
    } catch (error) {
      if (error instanceof CompanionRefused)
        return {kind: 'refused', reason: error.condition === 'item-not-found' ? 'no-session' : `${error.condition}: ${error.text}`}
      throw error
    }
  }
}
