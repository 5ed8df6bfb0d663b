import {openAdmin} from '../cluster/cluster.js'
import type {Config} from '../config/config-schema.js'
import type {SessionDirectory} from '../directories/session-directory.js'
import {systemClock} from '../model/clock.js'
import {EXIT, UsageError} from '../errors.js'
import {newRunId, openJournal} from '../journal/journal-writer.js'
import {runsDir} from '../journal/runs-dir.js'
import type {PreparedResume} from '../operations/prepare-resume.js'
import {describePreflight} from '../render/report-table.js'
import {dryRunReport, emptyReport, executeTransfer, TransferOutcome, TransferSettings} from '../operations/execute-transfer.js'
import type {PreparedTransfer} from '../operations/prepare-transfer.js'
import type {NamespaceChoice} from '../protocol/index.js'
import {createProgress} from '../render/progress.js'
import {confirmPlan} from './prompts.js'
import {canPrompt} from './terminal.js'

export interface TransferFlagValues {
  namespace: string
  from: string
  rate: number
  concurrency: number
  wait: number
  'ack-timeout': number
  fallback: string
  'dry-run': boolean
  yes: boolean
}

export function transferSettings(flags: TransferFlagValues): TransferSettings {
  return {
    namespace: flags.namespace as NamespaceChoice,
    from: flags.from as 'admin' | 'domain',
    rate: flags.rate,
    concurrency: flags.concurrency,
    waitMs: flags.wait,
    ackTimeoutMs: flags['ack-timeout'],
    pollMs: 250,
    fallback: flags.fallback as 'none' | 'kick',
  }
}

/** Before any network work: a run that would need a confirmation nobody can give is refused. */
export function requireConfirmable(flags: TransferFlagValues): void {
  if (!flags['dry-run'] && !flags.yes && !canPrompt()) {
    throw new UsageError('no terminal to confirm on: add --yes to send transfer packets (or --dry-run to see the plan)')
  }
}

export interface FlowInput {
  prepared: PreparedTransfer
  flags: TransferFlagValues
  /** Continue this interrupted run instead of starting one. */
  resume?: PreparedResume
  config: Config
  password: string
  directory: SessionDirectory
  trace?: (direction: 'in' | 'out', xml: string) => void
  showProgress: boolean
}

/** Dry run, confirmation, the run itself with progress, and Ctrl-C: what move and drain share. */
export async function runTransferFlow({prepared, flags, resume, config, password, directory, trace, showProgress}: FlowInput): Promise<TransferOutcome | undefined> {
  const settings = resume?.settings ?? transferSettings(flags)
  if (flags['dry-run']) return {report: dryRunReport(prepared, settings, Date.now()), interrupted: false, exitCode: EXIT.ok}
  const nothingInFlight = !resume || resume.carriedOver.inFlight.length === 0
  if (prepared.plan.length === 0 && nothingInFlight) return {report: emptyReport(prepared, settings, Date.now()), interrupted: false, exitCode: EXIT.ok}
  if (!flags.yes) {
    const perTarget = new Map<string, number>()
    for (const item of prepared.plan) perTarget.set(item.target.name, (perTarget.get(item.target.name) ?? 0) + 1)
    const summary = `${prepared.command}: ${prepared.plan.length} session(s)${prepared.source ? ` from ${prepared.source}` : ''} → ` +
      [...perTarget].map(([name, n]) => `${name} ${n}`).join(', ') + ` at ${settings.rate}/s` +
      (prepared.preflight ? `\n${describePreflight(prepared.preflight)}` : '')
    if (!(await confirmPlan(summary))) return undefined
  }
  const abort = new AbortController()
  const onSigint = () => abort.abort()
  process.once('SIGINT', onSigint)
  const progress = showProgress ? createProgress(prepared.plan.length + (resume?.carriedOver.inFlight.length ?? 0)) : undefined
  const runId = resume ? resume.runId : newRunId(Date.now(), prepared.command)
  try {
    return await executeTransfer({
      prepared,
      settings,
      config,
      directory,
      openAdmin: () => openAdmin({config, password, trace}),
      clock: systemClock,
      journal: openJournal(runsDir(), runId),
      carriedOver: resume?.carriedOver,
      onEvent: progress?.onEvent,
      signal: abort.signal,
    })
  } finally {
    progress?.done()
    process.removeListener('SIGINT', onSigint)
  }
}
