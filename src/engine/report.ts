import {ackToText} from '../model/ack.js'
import type {Outcome, TransferCommandName, TransferRecord} from '../model/transfer.js'
import {percentile} from './stats.js'

export type {TransferCommandName}

/** Sessions per node before the run, as planned, and as listed after it (rebalance and rehome). */
export interface Balance {
  before: Record<string, number>
  planned: Record<string, number>
  after?: Record<string, number>
}

/** The object `--json` prints; docs/report.schema.json describes it. Keep it stable. */
export interface TransferReport {
  command: TransferCommandName
  source: string | null
  targets: string[]
  dryRun: boolean
  startedAt: string
  finishedAt: string
  options: {namespace: string; from: 'admin' | 'domain'; rate: number; concurrency: number; waitMs: number; fallback: 'none' | 'kick'}
  acksObservable: boolean
  summary: {
    total: number
    moved: number
    notMoved: number
    unsupported: number
    wentOffline: number
    kicked: number
    /** Sent, but the run stopped before anyone saw where they went. */
    unknown: number
    unsent: number
    alreadyThere: number
    perTarget: Record<string, number>
    latencyMs: {p50: number | null; p95: number | null; max: number | null}
  }
  sessions: Array<{
    jid: string
    from: string
    target: string
    reconnectedTo: string | null
    reconnectedJid: string | null
    ack: string | null
    latencyMs: number | null
    outcome: Outcome | 'planned' | 'unsent'
  }>
  preflight?: PreflightSummary
  balance?: Balance
  error?: string
  message?: string
  /** The run's journal id (absent for a dry run and when nothing was selected). */
  runId?: string
  /** The run stopped before it was done (interrupted, timed out, the directory stayed down): `xtransfer resume RUN` continues it. */
  resumable?: boolean
}

/** What the selected sessions' clients advertise (disco#info), before anything is sent. */
export interface PreflightSummary {
  probed: number
  answered: number
  srvxfr: number
  cxfr: number
  either: number
}

export interface ReportInput {
  command: TransferReport['command']
  source: string | null
  targets: string[]
  dryRun: boolean
  startedAt: number
  finishedAt: number
  options: TransferReport['options']
  acksObservable: boolean
  records: TransferRecord[]
  /** Rows for sessions that were planned but got no packet (dry run, interruption). */
  notSent: Array<{jid: string; from: string; target: string}>
  alreadyThere: number
  preflight?: PreflightSummary
  balance?: Balance
  error?: string
  message?: string
  runId?: string
  resumable?: boolean
}

export function buildReport(input: ReportInput): TransferReport {
  const count = (outcome: Outcome) => input.records.filter((record) => record.outcome === outcome).length
  const perTarget: Record<string, number> = {}
  for (const record of input.records) {
    if (record.outcome === 'moved' && record.reconnectedTo) perTarget[record.reconnectedTo] = (perTarget[record.reconnectedTo] ?? 0) + 1
  }
  const latencies = input.records.flatMap((record) => (record.outcome === 'moved' && record.latencyMs !== null ? [record.latencyMs] : []))
  const sessions: TransferReport['sessions'] = [
    ...input.records.map((record) => ({
      jid: record.jid,
      from: record.from,
      target: record.target,
      reconnectedTo: record.reconnectedTo,
      reconnectedJid: record.reconnectedJid,
      ack: ackToText(record.ack),
      latencyMs: record.latencyMs,
      outcome: record.outcome,
    })),
    ...input.notSent.map((row) => ({
      ...row,
      reconnectedTo: null,
      reconnectedJid: null,
      ack: null,
      latencyMs: null,
      outcome: input.dryRun ? ('planned' as const) : ('unsent' as const),
    })),
  ].sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0))
  return {
    command: input.command,
    source: input.source,
    targets: input.targets,
    dryRun: input.dryRun,
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date(input.finishedAt).toISOString(),
    options: input.options,
    acksObservable: input.acksObservable,
    summary: {
      total: input.records.length + input.notSent.length,
      moved: count('moved'),
      notMoved: count('not-moved'),
      unsupported: count('unsupported'),
      wentOffline: count('went-offline'),
      kicked: count('kicked'),
      unknown: count('unknown'),
      unsent: input.dryRun ? 0 : input.notSent.length,
      alreadyThere: input.alreadyThere,
      perTarget,
      latencyMs: {p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.length ? Math.max(...latencies) : null},
    },
    sessions,
    ...(input.preflight ? {preflight: input.preflight} : {}),
    ...(input.balance ? {balance: input.balance} : {}),
    ...(input.error ? {error: input.error} : {}),
    ...(input.message ? {message: input.message} : {}),
    ...(input.runId ? {runId: input.runId} : {}),
    ...(input.resumable ? {resumable: true} : {}),
  }
}

/**
 * 0 when every selected session left its source (moved, or kicked by the
 * fallback and seen back elsewhere) or nothing was selected; 1 otherwise.
 */
export function reportExitCode(report: TransferReport): 0 | 1 {
  if (report.dryRun) return 0
  const landed = report.sessions.filter((row) => row.outcome === 'moved' || (row.outcome === 'kicked' && row.reconnectedTo !== null)).length
  return landed === report.summary.total ? 0 : 1
}
