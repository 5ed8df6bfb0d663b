// The simulated world as a SessionControl with the server companion: packets answered by the
// clients' kinds, handovers, redirects, closes and cordons, each followed by what that kind of
// client does (clients.ts). Answers take simulated time; a silent client's iq times out as the
// admin link's would (IqTimeoutError after the ack timeout).
import xml, {type Element} from '@xmpp/xml'

import {IqTimeoutError} from '../../src/connection/iq-exchange.js'
import type {ActionResult, CordonState, SessionControl, SessionRef} from '../../src/model/control.js'
import {formatServer, NS_STANZAS, type ServerAddress} from '../../src/protocol/index.js'
import {CLIENT_TRAITS, comeBack, DELAYS_MS, RESUMER} from './clients.js'
import type {SimulatedWorld} from './world.js'

/** The admin's iq to a session on another node and its answer: ~2 ms on the lab (lab-notes.md). */
const IQ_MS = 2
/** A companion command (handover, redirect, close): one HTTP call. */
const ACTION_MS = 15

/** Actions per kind, as the companion was asked for them. */
export type ControlUsage = Record<string, number>

export interface SimControl extends SessionControl {
  readonly usage: ControlUsage
}

export function simControl(world: SimulatedWorld): SimControl {
  const usage: ControlUsage = {}
  const counted = (what: string) => (usage[what] = (usage[what] ?? 0) + 1)
  const took = (ms: number) => world.clock.sleep(ms)

  /** The user whose session this is, on that node, or undefined (moved, gone, resource changed). */
  const holder = (jid: string, node: string): number | undefined => {
    const user = world.userOf(jid)
    if (user === undefined) return undefined
    const at = world.whereIs(user)
    return at !== undefined && world.nodes[at]!.name === node && world.jidOf(user) === jid ? user : undefined
  }
  const noSession: ActionResult = {kind: 'refused', reason: 'no-session'}
  const done: ActionResult = {kind: 'done'}
  const nodeAt = (address: ServerAddress | string) => world.nodeOfAddress(typeof address === 'string' ? address : formatServer(address))

  return {
    usage,
    reconnects: 0,
    async abilities() {
      return {sendAsDomain: true, kick: true, handover: true, redirect: true, close: true, cordon: true}
    },
    async open() {},
    async close() {},
    async request(node: string, iq: Element, timeoutMs: number): Promise<Element> {
      counted('packet')
      const user = holder(String(iq.attrs.to), node)
      const traits = user === undefined ? undefined : CLIENT_TRAITS[world.kindOf(user)]
      if (user === undefined || traits?.packet === 'refused') {
        await took(IQ_MS)
        return errorAnswer(iq)
      }
      if (traits!.packet === 'silent') {
        await took(timeoutMs)
        throw new IqTimeoutError(String(iq.attrs.to), timeoutMs)
      }
      await took(IQ_MS)
      // The helper answers first, then logs in where the packet said, make-before-break.
      const target = nodeAt(iq.getChild('query')?.getChildText('server') ?? '')
      if (target !== undefined) comeBack(world, user, DELAYS_MS.helperLogin, () => target)
      return xml('iq', {type: 'result', id: iq.attrs.id, from: iq.attrs.to})
    },
    async handover(session: SessionRef) {
      counted('handover')
      await took(ACTION_MS)
      const user = holder(session.jid, session.node)
      if (user === undefined) return noSession
      if (world.kindOf(user) !== RESUMER) return {kind: 'refused', reason: 'not-resumable'}
      world.suspend(user)
      comeBack(world, user, DELAYS_MS.resume, () => world.anyOpenNode(), {resumed: true})
      return done
    },
    async redirect(session: SessionRef, to: ServerAddress) {
      counted('redirect')
      await took(ACTION_MS)
      const user = holder(session.jid, session.node)
      if (user === undefined) return noSession
      world.drop(user)
      const target = nodeAt(to)
      // Half of the redirected clients bind a new resource: tracked by the session's start, not its JID.
      comeBack(world, user, DELAYS_MS.redirect, () => target ?? world.anyOpenNode(), {freshResource: world.random() < 0.5})
      return done
    },
    async closeStream(session: SessionRef) {
      counted('close')
      await took(ACTION_MS)
      const user = holder(session.jid, session.node)
      if (user === undefined) return noSession
      world.drop(user)
      comeBack(world, user, DELAYS_MS.reconnect, () => world.anyOpenNode())
      return done
    },
    async kick(jid: string) {
      counted('kick')
      await took(ACTION_MS)
      const user = world.userOf(jid)
      if (user === undefined || world.jidOf(user) !== jid) return
      world.drop(user)
      comeBack(world, user, DELAYS_MS.reconnect, () => world.anyOpenNode())
    },
    async sendAsDomain() {
      counted('sendAsDomain')
      await took(ACTION_MS)
    },
    async cordon(node: string) {
      counted('cordon')
      await took(ACTION_MS)
      const index = world.nodeIndex(node)
      if (index !== undefined) world.nodes[index]!.cordoned = true
    },
    async uncordon(node: string) {
      counted('uncordon')
      await took(ACTION_MS)
      const index = world.nodeIndex(node)
      if (index !== undefined) world.nodes[index]!.cordoned = false
    },
    async cordons() {
      return new Map<string, CordonState>(world.nodes.map((node) => [node.name, {cordoned: node.cordoned, ...(node.cordoned ? {mode: 'refuse'} : {})}]))
    },
  }
}

/** `<service-unavailable/>`: what ejabberd answers for a missing session and clients without XEP-0051. */
function errorAnswer(iq: Element): Element {
  return xml('iq', {type: 'error', id: iq.attrs.id, from: iq.attrs.to}, xml('error', {type: 'cancel'}, xml('service-unavailable', {xmlns: NS_STANZAS})))
}
