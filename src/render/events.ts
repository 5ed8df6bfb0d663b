import type {TransferReport} from '../engine/report.js'
import type {RunEvent} from '../engine/run-transfers.js'
import {ackToText} from '../model/ack.js'
import type {MoveMethodName, Outcome, PlannedTransfer, TransferCommandName} from '../model/transfer.js'
import {formatServer} from '../protocol/index.js'

/**
 * One line of `-o ndjson` (docs/events.schema.json): a run's journal as it is written,
 * for a runbook or a dashboard to follow a long drain live. Every line has `type` and
 * `at` (ISO 8601, ms); the last is the `summary` (or an `error`).
 */
export type StreamEvent =
  | {type: 'run'; at: string; runId: string; command: TransferCommandName; source: string | null; targets: string[]; sessions: number; resumed: boolean}
  | {type: 'planned'; at: string; jid: string; from: string; target: string; address: string}
  /** Its target left the cluster before its first move: it goes to `target` instead of `previousTarget`. */
  | {type: 'retargeted'; at: string; jid: string; from: string; target: string; address: string; previousTarget: string}
  | {type: 'sending'; at: string; jid: string; from: string; target: string}
  | {type: 'sent'; at: string; jid: string; ack: string; ackMs: number | null}
  | {type: 'acting'; at: string; jid: string; method: MoveMethodName}
  | {type: 'acted'; at: string; jid: string; method: MoveMethodName; result: 'done' | 'refused'; reason?: string}
  | {
      type: 'settled'
      at: string
      jid: string
      outcome: Outcome
      reconnectedTo: string | null
      reconnectedJid: string | null
      latencyMs: number | null
      method: MoveMethodName | null
    }
  | SummaryEvent

/** The report without its rows (they were streamed), with the run's exit code. */
export type SummaryEvent = {type: 'summary'; at: string; exitCode: number} & Omit<TransferReport, 'sessions'>

const iso = (ms: number) => new Date(ms).toISOString()

export function plannedEvent(item: PlannedTransfer, now: number): StreamEvent {
  return {type: 'planned', at: iso(now), jid: item.jid, from: item.from, target: item.target.name, address: formatServer(item.target.address)}
}

export function runEvent(
  run: {runId: string; command: TransferCommandName; source: string | null; targets: readonly string[]; sessions: number; resumed: boolean},
  now: number,
): StreamEvent {
  return {type: 'run', at: iso(now), ...run, targets: [...run.targets]}
}

/** The engine's event as a line; `now` stamps what carries no time of its own (a settling). */
export function streamEvent(event: RunEvent, now: number): StreamEvent {
  switch (event.type) {
    case 'retargeted':
      return {
        type: 'retargeted',
        at: iso(now),
        jid: event.item.jid,
        from: event.item.from,
        target: event.item.target.name,
        address: formatServer(event.item.target.address),
        previousTarget: event.from,
      }
    case 'sending':
      return {type: 'sending', at: iso(event.at), jid: event.item.jid, from: event.item.from, target: event.item.target.name}
    case 'sent':
      return {
        type: 'sent',
        at: iso(event.record.rungs.at(-1)?.at ?? event.record.sentAt),
        jid: event.record.jid,
        ack: ackToText(event.record.ack),
        ackMs: event.record.ackMs,
      }
    case 'acting':
      return {type: 'acting', at: iso(event.at), jid: event.item.jid, method: event.method}
    case 'acted':
      return {
        type: 'acted',
        at: iso(event.rung.at),
        jid: event.record.jid,
        method: event.rung.method,
        result: event.rung.result,
        ...(event.rung.reason ? {reason: event.rung.reason} : {}),
      }
    case 'settled':
      return {
        type: 'settled',
        at: iso(now),
        jid: event.record.jid,
        outcome: event.record.outcome,
        reconnectedTo: event.record.reconnectedTo,
        reconnectedJid: event.record.reconnectedJid,
        latencyMs: event.record.latencyMs,
        method: event.record.method,
      }
  }
}

export function summaryEvent(report: TransferReport, exitCode: number, now: number): SummaryEvent {
  const {sessions: _, ...rest} = report
  return {type: 'summary', at: iso(now), exitCode, ...rest}
}

/** One line of NDJSON. */
export function eventLine(event: StreamEvent): string {
  return `${JSON.stringify(event)}\n`
}
