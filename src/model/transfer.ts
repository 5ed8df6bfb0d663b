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
  /** What the listing said of its client (with the server companion): whether a handover fits it. */
  client?: {resumable?: boolean; capsNode?: string}
}

/**
 * What became of a session. `unknown`: a move went out but the run stopped (the directory
 * or the admin link stayed down) before anyone could see where the session went.
 * `returned`: closed by the last rung, it came back to the node it was moved off.
 * `not-back`: closed by the last rung, it was not online anywhere when the run ended
 * (still reconnecting, or given up).
 */
export type Outcome = 'moved' | 'not-moved' | 'unsupported' | 'went-offline' | 'kicked' | 'unknown' | 'returned' | 'not-back'

/** The rungs of the ladder (engine/ladder/methods.ts). */
export type MoveMethodName = 'packet' | 'handover' | 'redirect' | 'close'

/** One move made on a session: which, when, and whether the server (or the client) took it. */
export interface RungRecord {
  method: MoveMethodName
  /** Epoch ms it went out. */
  at: number
  /** `refused`: the client (a packet's error answer) or the server (not resumable, no such session) said no. */
  result: 'done' | 'refused'
  reason?: string
}

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
  /** From its first move to the poll that saw it on its new node. */
  latencyMs: number | null
  outcome: Outcome
  /** The rung that moved it (null until one did). */
  method: MoveMethodName | null
  /** Every move made on it, in order. */
  rungs: RungRecord[]
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
    method: null,
    rungs: [],
  }
}
