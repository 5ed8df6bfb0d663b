import {randomUUID} from 'node:crypto'

import type {Element} from '@xmpp/xml'

import {ConnectionLostError, IqTimeoutError} from '../connection/iq-exchange.js'
import {type Ack, ACK_NOT_OBSERVABLE, ACK_RESULT, ACK_LOST, ACK_TIMEOUT, refused} from '../model/ack.js'
import type {PlannedTransfer} from '../model/transfer.js'
import {buildTransferIq, NS_STANZAS, type TransferNamespace} from '../protocol/index.js'

/** Sends one session its transfer packet(s) and says what came back. */
export interface PacketSender {
  send(item: PlannedTransfer): Promise<Ack>
  /** Whether the client's answer reaches us at all. */
  readonly acksObservable: boolean
}

export interface PacketOptions {
  domain: string
  namespaces: TransferNamespace[]
}

/**
 * On the admin's own session (with the session's node): the answer comes back to us.
 * With both namespaces, one `result` is enough; otherwise the first refusal is kept.
 */
export function adminPacketSender(
  request: (node: string, iq: Element, timeoutMs: number) => Promise<Element>,
  {domain, namespaces, ackTimeoutMs}: PacketOptions & {ackTimeoutMs: number},
): PacketSender {
  return {
    acksObservable: true,
    async send(item) {
      const acks = await Promise.all(
        namespaces.map(async (namespace): Promise<Ack> => {
          const iq = buildTransferIq({to: item.jid, id: randomUUID()}, {namespace, domain, server: item.target.address})
          try {
            return ackOf(await request(item.from, iq, ackTimeoutMs))
          } catch (error) {
            // No answer, or the admin link dropped with the answer still to come: where the session went will tell.
            if (error instanceof IqTimeoutError) return ACK_TIMEOUT
            if (error instanceof ConnectionLostError) return ACK_LOST
            throw error
          }
        }),
      )
      return acks.find((ack) => ack.kind === 'result') ?? acks.find((ack) => ack.kind === 'refused') ?? acks[0]
    },
  }
}

/**
 * As the seed's examples show: from the bare domain, through the directory's
 * API. The client answers the server, not us, so acks cannot be seen.
 */
export function domainPacketSender(
  sendAsDomain: (stanza: string, from: string, to: string) => Promise<void>,
  {domain, namespaces}: PacketOptions,
): PacketSender {
  return {
    acksObservable: false,
    async send(item) {
      for (const namespace of namespaces) {
        const iq = buildTransferIq({to: item.jid, from: domain, id: randomUUID()}, {namespace, domain, server: item.target.address})
        await sendAsDomain(iq.toString(), domain, item.jid)
      }
      return ACK_NOT_OBSERVABLE
    },
  }
}

/** The answering iq as an Ack: a result, or a refusal with its RFC 6120 condition. */
export function ackOf(answer: Element): Ack {
  if (answer.attrs.type === 'result') return ACK_RESULT
  const error = answer.getChild('error')
  const condition = error?.getChildElements().find((child) => child.attrs.xmlns === NS_STANZAS && child.name !== 'text')
  return refused(condition?.name ?? 'undefined-condition')
}
