import {randomUUID} from 'node:crypto'

import {Element} from '@xmpp/xml'

import {buildTransferIq, NS_STANZAS, TransferNamespace} from '../protocol/index.js'
import type {PlannedTransfer} from './plan.js'
import type {Ack} from './transfer-record.js'

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
 * On the admin's own connection: the answer comes back to us. With both
 * namespaces, one `result` is enough; otherwise the first refusal is kept.
 */
export function adminPacketSender(
  request: (iq: Element, timeoutMs: number, item: PlannedTransfer) => Promise<Element>,
  {domain, namespaces, ackTimeoutMs}: PacketOptions & {ackTimeoutMs: number},
): PacketSender {
  return {
    acksObservable: true,
    async send(item) {
      const acks = await Promise.all(namespaces.map(async (namespace): Promise<Ack> => {
        const iq = buildTransferIq({to: item.jid, id: randomUUID()}, {namespace, domain, server: item.target.address})
        try {
          return ackOf(await request(iq, ackTimeoutMs, item))
        } catch (error) {
          // No answer, or the admin link dropped with the answer still to come: where the session went will tell.
          if ((error as Error).name === 'IqTimeoutError' || (error as Error).name === 'ConnectionLostError') return 'timeout'
          throw error
        }
      }))
      return acks.find((ack) => ack === 'result') ?? acks.find((ack) => ack.startsWith('error:')) ?? acks[0]
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
      return 'not-observable'
    },
  }
}

export function ackOf(answer: Element): Ack {
  if (answer.attrs.type === 'result') return 'result'
  const error = answer.getChild('error')
  const condition = error?.getChildElements().find((child) => child.attrs.xmlns === NS_STANZAS && child.name !== 'text')
  return `error:${condition?.name ?? 'undefined-condition'}`
}

export type {TransferNamespace}
