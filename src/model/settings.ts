import type {NamespaceChoice} from '../protocol/index.js'
import type {MoveMethodName} from './transfer.js'

/** How a run sends and watches: chosen by the operator (flags) or carried over in a journal. */
export interface TransferSettings {
  namespace: NamespaceChoice
  from: 'admin' | 'domain'
  /** Moves per second: a fixed pace, or `auto` (the adaptive pacer finds what the cluster absorbs). */
  rate: number | 'auto'
  concurrency: number
  waitMs: number
  ackTimeoutMs: number
  /** How often pending sessions are looked up; decided by the run service, journaled for the record. */
  pollMs: number
  /** After the wait, close sessions still on their source that refused or ignored the packet. */
  fallback: 'none' | 'kick'
  /** The rungs allowed, in order (absent in journals older than the ladder: packets only). */
  methods?: MoveMethodName[]
  /** drain: cordon the source first (with the server companion). */
  cordon?: boolean
}

/** The operator's part of the settings: what flags say. The run service adds the rest. */
export type TransferChoices = Omit<TransferSettings, 'pollMs'>
