import {UsageError} from '../errors.js'
import type {TransferChoices} from '../model/settings.js'
import {parseMethods} from '../engine/ladder/methods.js'
import type {PaceBasis} from '../operations/pace-estimate.js'
import type {TransferPlan} from '../operations/plan-transfer.js'
import type {NamespaceChoice} from '../protocol/index.js'
import {formatDuration} from '../render/progress.js'
import {describePreflight} from '../render/report-table.js'
import {isCI} from '../render/style.js'
import {canPrompt} from './terminal.js'

export interface TransferFlagValues {
  namespace: string
  from: string
  rate: number | 'auto'
  concurrency: number
  wait: number
  'ack-timeout': number
  fallback: string
  methods: string
  /** drain only: cordon the source first (default on). */
  cordon?: boolean
  'dry-run': boolean
  yes: boolean
}

/** The operator's settings as the flags give them. */
export function transferChoices(flags: Omit<TransferFlagValues, 'dry-run' | 'yes'>): TransferChoices {
  return {
    namespace: flags.namespace as NamespaceChoice,
    from: flags.from as 'admin' | 'domain',
    rate: flags.rate,
    concurrency: flags.concurrency,
    waitMs: flags.wait,
    ackTimeoutMs: flags['ack-timeout'],
    fallback: flags.fallback as 'none' | 'kick',
    methods: parseMethods(flags.methods),
    cordon: flags.cordon ?? false,
  }
}

/** Before any network work: a run that would need a confirmation nobody can give is refused. */
export function requireConfirmable(flags: Pick<TransferFlagValues, 'dry-run' | 'yes'>): void {
  if (!flags['dry-run'] && !flags.yes && !canPrompt()) {
    const where = isCI() ? 'CI is set: no prompts' : 'no terminal to confirm on'
    throw new UsageError(`${where}: add --yes to send transfer packets (or --dry-run to see the plan)`)
  }
}

/**
 * The confirmation, on one line: what moves where, about how long it takes, and what that
 * estimate rests on (the fixed rate, or the pace an earlier auto run kept).
 */
export function describePlan(plan: TransferPlan, basis: PaceBasis): string {
  const sessions = plan.items.length + (plan.resumed?.carriedOver.inFlight.length ?? 0)
  const where = Object.entries(plan.perTarget)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ')
  const what = `${plan.command}${plan.source ? ` ${plan.source}` : ''}${plan.resumed ? ` (resuming ${plan.resumed.runId})` : ''}: ${sessions} session${sessions === 1 ? '' : 's'}${where ? ` → ${where}` : ''}`
  const rate = (value: number) => `${value < 10 ? Math.round(value * 10) / 10 : Math.round(value)}/s`
  const time = (value: number) => `about ${formatDuration(Math.max(1000, (sessions / value) * 1000))}`
  const how =
    basis.kind === 'fixed'
      ? `${time(basis.rate)} at ${rate(basis.rate)} (--rate ${basis.rate})`
      : basis.kind === 'earlier-run'
        ? `${time(basis.rate)} at ~${rate(basis.rate)} (--rate auto; the average pace of run ${basis.runId}, ${basis.sessions} sessions)`
        : 'at the pace the cluster absorbs (--rate auto; no earlier auto run on these nodes to estimate the time from)'
  return `${what}, ${how}` + (plan.preflight ? `\n${describePreflight(plan.preflight)}` : '')
}
