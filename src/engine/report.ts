import {ackToText} from '../model/ack.js'
import type {MoveMethodName, Outcome, TransferCommandName, TransferRecord} from '../model/transfer.js'
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
  options: {
    namespace: string
    from: 'admin' | 'domain'
    rate: number | 'auto'
    concurrency: number
    waitMs: number
    fallback: 'none' | 'kick'
    methods?: MoveMethodName[]
    cordon?: boolean
  }
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
    /** Closed by the last rung, they came back to the node they were moved off. */
    returned: number
    /** Closed by the last rung, not online anywhere when the run ended (still reconnecting, or given up). */
    notBack: number
    /** Sessions that landed elsewhere, by the rung that moved them. */
    perMethod: Partial<Record<MoveMethodName, number>>
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
    /** The rung that moved it; null when none did (or none was tried). */
    method: MoveMethodName | null
    /** Each move made on it: what, whether it was taken, and how long it had before the next move or the landing (null: the last, not landed). */
    rungs: Array<{method: MoveMethodName; result: 'done' | 'refused'; reason?: string; ms: number | null}>
  }>
  preflight?: PreflightSummary
  balance?: Balance
  error?: string
  message?: string
  /** The run's journal id (absent for a dry run and when nothing was selected). */
  runId?: string
  /** The run stopped before it was done (interrupted, timed out, the directory stayed down): `xtransfer resume RUN` continues it. */
  resumable?: boolean
  /** The pace over the run: each change (ms from the start, moves per second, why). */
  pace?: PacePoint[]
}

/** One change of pace: `atMs` after the run started, `rate` moves per second from then on, and why. */
export interface PacePoint {
  atMs: number
  rate: number
  reason: string
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
  pace?: PacePoint[]
}

export function buildReport(input: ReportInput): TransferReport {
  const count = (outcome: Outcome) => input.records.filter((record) => record.outcome === outcome).length
  // Every session that landed elsewhere counts where it landed, whatever moved it (a kick included).
  const perTarget: Record<string, number> = {}
  const perMethod: Partial<Record<MoveMethodName, number>> = {}
  for (const record of input.records) {
    const landed = record.reconnectedTo !== null && (record.outcome === 'moved' || record.outcome === 'kicked')
    if (landed) perTarget[record.reconnectedTo!] = (perTarget[record.reconnectedTo!] ?? 0) + 1
    if (record.outcome === 'moved' && record.method) perMethod[record.method] = (perMethod[record.method] ?? 0) + 1
  }
  const latencies = input.records.flatMap((record) => (record.outcome === 'moved' && record.latencyMs !== null ? [record.latencyMs] : []))
  // Not Math.max(...latencies): past ~125,000 arguments V8 throws RangeError, and the run would end without its report.
  const maxLatency = latencies.reduce<number | null>((max, latency) => (max === null || latency > max ? latency : max), null)
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
      method: record.outcome === 'moved' ? record.method : null,
      rungs: rungTimes(record),
    })),
    ...input.notSent.map((row) => ({
      ...row,
      reconnectedTo: null,
      reconnectedJid: null,
      ack: null,
      latencyMs: null,
      outcome: input.dryRun ? ('planned' as const) : ('unsent' as const),
      method: null,
      rungs: [],
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
      returned: count('returned'),
      notBack: count('not-back'),
      perMethod,
      unsent: input.dryRun ? 0 : input.notSent.length,
      alreadyThere: input.alreadyThere,
      perTarget,
      latencyMs: {p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: maxLatency},
    },
    sessions,
    ...(input.preflight ? {preflight: input.preflight} : {}),
    ...(input.balance ? {balance: input.balance} : {}),
    ...(input.error ? {error: input.error} : {}),
    ...(input.message ? {message: input.message} : {}),
    ...(input.runId ? {runId: input.runId} : {}),
    ...(input.pace?.length ? {pace: input.pace} : {}),
    ...(input.resumable ? {resumable: true} : {}),
  }
}

/** How long each rung had: until the next move, or until the landing for the one that moved it. */
function rungTimes(record: TransferRecord): TransferReport['sessions'][number]['rungs'] {
  const landedAt = record.outcome === 'moved' && record.latencyMs !== null ? record.sentAt + record.latencyMs : null
  return record.rungs.map((rung, index) => {
    const end = record.rungs[index + 1]?.at ?? landedAt
    return {method: rung.method, result: rung.result, ...(rung.reason ? {reason: rung.reason} : {}), ms: end === null ? null : Math.max(0, end - rung.at)}
  })
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
