import type {ServerAddress} from '../protocol/index.js'
import type {Ack} from './ack.js'

/** The commands that move sessions (and whose runs are journaled). */
export type TransferCommandName = 'move' | 'drain' | 'rehome' | 'rebalance'

/** Where a session is sent: a configured node, or a bare address given with --to. */
export interface TransferTarget {
  /** Node name, or the address as the operator wrote it. */
  name: string
  address: ServerAddress
  /** True when the target is a configured node, so a reconnection can be checked against it. */
  isNode: boolean
}

export interface PlannedTransfer {
  jid: string
  bare: string
  resource: string
  /** The node the session is on now. */
  from: string
  target: TransferTarget
}

/**
 * What became of a session. `unknown`: a packet went out but the run stopped (the directory
 * or the admin link stayed down) before anyone could see where the session went.
 */
export type Outcome = 'moved' | 'not-moved' | 'unsupported' | 'went-offline' | 'kicked' | 'unknown'

/** What became of one session a packet went out to. */
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
