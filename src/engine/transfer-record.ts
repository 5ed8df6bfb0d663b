import type {PlannedTransfer} from './plan.js'

/** What the client answered: `result`, `error:<condition>`, `timeout`, or `not-observable` when sent as the domain. */
export type Ack = 'result' | `error:${string}` | 'timeout' | 'not-observable'

export type Outcome = 'moved' | 'not-moved' | 'unsupported' | 'went-offline' | 'kicked'

export interface TransferRecord {
  jid: string
  bare: string
  resource: string
  from: string
  target: string
  /** Node the session was seen on after the packet, or null. */
  reconnectedTo: string | null
  /** The full JID it came back as (another resource when the client does not keep it). */
  reconnectedJid: string | null
  ack: Ack
  /** Epoch ms the packet went out. */
  sentAt: number
  ackMs: number | null
  /** From sending the packet to the poll that saw the session on its new node. */
  latencyMs: number | null
  outcome: Outcome
}

/** Conditions by which a client says it does not implement transfers at all. */
const UNSUPPORTED = new Set(['service-unavailable', 'feature-not-implemented'])

export function isUnsupportedAck(ack: Ack): boolean {
  return ack.startsWith('error:') && UNSUPPORTED.has(ack.slice('error:'.length))
}

export function isRefusal(ack: Ack): boolean {
  return ack.startsWith('error:')
}

export function newRecord(item: PlannedTransfer, sentAt: number, ack: Ack, ackMs: number | null): TransferRecord {
  return {
    jid: item.jid,
    bare: item.bare,
    resource: item.resource,
    from: item.from,
    target: item.target.name,
    reconnectedTo: null,
    reconnectedJid: null,
    ack,
    sentAt,
    ackMs,
    latencyMs: null,
    outcome: 'not-moved',
  }
}
