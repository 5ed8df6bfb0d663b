import {UsageError} from '../errors.js'
import type {TransferChoices} from '../model/settings.js'
import {parseMethods} from '../engine/ladder/methods.js'
import type {TransferPlan} from '../operations/plan-transfer.js'
import type {NamespaceChoice} from '../protocol/index.js'
import {describePreflight} from '../render/report-table.js'
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
    throw new UsageError('no terminal to confirm on: add --yes to send transfer packets (or --dry-run to see the plan)')
  }
}

/** The confirmation's question: who goes where, at what pace. */
export function describePlan(plan: TransferPlan, rate: number | 'auto'): string {
  return (
    `${plan.command}: ${plan.items.length} session(s)${plan.source ? ` from ${plan.source}` : ''} → ` +
    Object.entries(plan.perTarget)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ') +
    (rate === 'auto' ? ' at the pace the cluster absorbs' : ` at ${rate}/s`) +
    (plan.preflight ? `\n${describePreflight(plan.preflight)}` : '')
  )
}
