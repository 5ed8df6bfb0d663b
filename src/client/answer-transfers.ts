import {type XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

import {NS_CXFR, NS_DISCO_INFO, NS_SRVXFR, parseTransferIq, type TransferRequest} from '../protocol/index.js'
import {type TransferRefused} from './events.js'
import {discoInfo, stanzaError} from './replies.js'
import {type SessionTarget, targetOf} from './target.js'
import {type TargetPolicy} from './target-policy.js'
import {checkSender} from './trust.js'

/** A transfer packet from a trusted sender, well formed. */
export interface TransferOrder {
  /** The client it arrived on. */
  client: XmppClient
  stanza: Element
  /** The sender, as trusted (the domain, or an admin's full JID). */
  sender: string
  request: TransferRequest
  to: SessionTarget
}

/** How to answer an order: obey it (an empty result), or refuse it. */
export type Answer = {kind: 'result'} | {kind: 'refuse'; type: 'auth' | 'cancel' | 'modify'; condition: TransferRefused['condition']; reason: string}

export interface AnswerTransfersOptions {
  entity: XmppClient
  /** Bare, normalised JIDs obeyed besides the user's own domain (see trust.ts). */
  trustedAdmins: ReadonlySet<string>
  /** Whether the packet's domain and server may be followed (see target-policy.ts). */
  checkTarget: TargetPolicy
  /** Answer disco#info (without a node) with both transfer namespaces. */
  advertise: boolean
  identity: {category: string; type: string; name?: string}
  /** Decides on a trusted, well-formed order; called while the iq is being answered. */
  onOrder(order: TransferOrder): Answer
  /** Every refusal: the sender's, the packet's, or onOrder's. */
  onRefused(refusal: TransferRefused): void
}

export interface TransferAnswerer {
  /** Answer transfer packets (and disco#info) again. */
  start(): void
  /** Pass them on to the client's other handlers (`service-unavailable` without any). */
  stop(): void
  readonly started: boolean
}

/**
 * The part of the helper that speaks XEP-0051 on one client, in the shape of an xmpp.js
 * plugin: iq handlers for `jabber:iq:srvxfr` and `urn:xmpp:cxfr` (0.1 and 0.2), a
 * disco#info answer advertising both, the sender check and the target check (in that
 * order: forbidden, bad-request, not-allowed). It decides nothing about the
 * move: `onOrder` does. xmpp.js middleware cannot be removed, so stop() makes the
 * handlers pass every stanza on.
 */
export function answerTransfers(options: AnswerTransfersOptions): TransferAnswerer {
  const {entity} = options
  let started = true

  function refuse(from: string | undefined, answer: Extract<Answer, {kind: 'refuse'}>): Element {
    options.onRefused({from: from ?? '', condition: answer.condition, reason: answer.reason})
    return stanzaError(answer.type, answer.condition, answer.condition === 'forbidden' ? undefined : answer.reason)
  }

  /** The iqCallee handler: its return value is the answer (truthy = empty result, `<error/>` = error). */
  function onTransfer(stanza: Element): Element | true {
    const from = stanza.attrs.from
    const sender = checkSender(from, ownDomain(entity), options.trustedAdmins)
    if (!sender.ok) return refuse(from, {kind: 'refuse', type: 'auth', condition: 'forbidden', reason: sender.reason})
    const parsed = parseTransferIq(stanza)
    if (!parsed.ok) return refuse(from, {kind: 'refuse', type: 'modify', condition: 'bad-request', reason: parsed.reason})
    // Whoever holds a trusted account must not be able to send the session (and so its
    // credentials, at the new login) anywhere it likes.
    const target = options.checkTarget(parsed.value, ownDomain(entity))
    if (!target.ok) return refuse(from, {kind: 'refuse', type: 'cancel', condition: 'not-allowed', reason: target.reason})
    const answer = options.onOrder({client: entity, stanza, sender: sender.sender, request: parsed.value, to: targetOf(parsed.value)})
    return answer.kind === 'result' ? true : refuse(from, answer)
  }

  const handler = (ctx: {stanza: Element}, next: () => unknown) => (started ? onTransfer(ctx.stanza) : next())
  entity.iqCallee.set(NS_SRVXFR, 'query', handler)
  entity.iqCallee.set(NS_CXFR, 'query', handler)
  if (options.advertise) {
    entity.iqCallee.get(NS_DISCO_INFO, 'query', (ctx: {element: Element}, next: () => unknown) =>
      started && !ctx.element.attrs.node ? discoInfo(options.identity) : next(),
    )
  }

  return {
    start: () => {
      started = true
    },
    stop: () => {
      started = false
    },
    get started() {
      return started
    },
  }
}

/** The domain of the bound JID (or the one the client logs in to, before it is bound). */
export function ownDomain(client: XmppClient): string {
  return client.jid?.domain ?? String(client.options.domain ?? '')
}
