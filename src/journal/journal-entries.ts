import type {TransferSettings} from '../model/settings.js'
import type {MoveMethodName, Outcome, TransferCommandName} from '../model/transfer.js'

/** One line of a run's journal (NDJSON). Version 1. Acks are written as text (ackToText). */
export type JournalEntry =
  | {type: 'run'; v: 1; id: string; command: TransferCommandName; source: string | null; targets: string[]; settings: TransferSettings; startedAt: number}
  | {type: 'planned'; jid: string; bare: string; resource: string; from: string; target: string; address: string; isNode: boolean}
  | {type: 'sending'; jid: string; at: number}
  | {type: 'sent'; jid: string; at: number; ack: string; ackMs: number | null}
  /** Just before a move that is not a packet: a crash after this may or may not have made it (it is never made again). */
  | {type: 'acting'; jid: string; method: MoveMethodName; at: number}
  | {type: 'acted'; jid: string; method: MoveMethodName; at: number; result: 'done' | 'refused'; reason?: string}
  | {
      type: 'settled'
      jid: string
      outcome: Outcome
      reconnectedTo: string | null
      reconnectedJid: string | null
      latencyMs: number | null
      method?: MoveMethodName | null
    }
  /** A drain's source stopped taking new connections (the companion's cordon). */
  | {type: 'cordoned'; node: string; at: number}
  | {type: 'resumed'; at: number; pid: number}
  /** The run is over: nothing to resume. `reason`: why it failed before or while sending, if it did. */
  | {type: 'finished'; at: number; exitCode: number; reason?: string}
  /** Stopped by a failure (the directory or the admin link stayed down): what was in flight is unknown; resumable. */
  | {type: 'stopped'; at: number; exitCode: number; reason: string}
