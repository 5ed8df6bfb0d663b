import type {TransferReport} from '../engine/report.js'
import {EXIT} from '../errors.js'
import {stateDir} from '../journal/runs-dir.js'
import {systemClock} from '../model/clock.js'
import {checkRequest, type CheckedRequest, planTransfer, type TransferRequest} from '../operations/plan-transfer.js'
import {previewTransfer, runTransfer, settingsFor, type TransferOutcome} from '../operations/run-transfer.js'
import {createProgress} from '../render/progress.js'
import {renderReport} from '../render/report-table.js'
import {makeStyle} from '../render/style.js'
import {ClusterCommand} from './base-command.js'
import type {Cluster} from '../cluster/open-cluster.js'
import type {Config} from '../config/config-schema.js'
import {confirmPlan} from './prompts.js'
import {describePlan, requireConfirmable, transferChoices, type TransferFlagValues} from './transfer-flow.js'

export interface TransferCommandFlags extends Partial<Omit<TransferFlagValues, 'dry-run' | 'yes'>> {
  'dry-run'?: boolean
  yes: boolean
  /** --timeout: the whole run's bound, ms. */
  timeout?: number
  debug: boolean
  config?: string
  'password-file'?: string
}

/**
 * move, drain, rehome, rebalance and resume: check, plan, show or confirm, run with
 * progress and Ctrl-C, render. The work itself is the transfer service's.
 */
export abstract class TransferCommand extends ClusterCommand {
  /**
   * `request`: what the operator asked, or how to ask for it on a terminal (pickers need
   * the cluster first). A complete request is checked before any password or login.
   */
  protected async transfer(request: TransferRequest | ((cluster: Cluster, config: Config) => Promise<TransferRequest | undefined>), flags: TransferCommandFlags): Promise<TransferReport | undefined> {
    const config = await this.loadConfig(flags)
    const context = {stateDir: stateDir()}
    let checked: CheckedRequest | undefined = typeof request === 'function' ? undefined : checkRequest(config, request, context)
    requireConfirmable({'dry-run': Boolean(flags['dry-run']), yes: flags.yes})
    const {cluster} = await this.openCluster(flags)
    if (!checked) {
      const asked = await (request as (cluster: Cluster, config: Config) => Promise<TransferRequest | undefined>)(cluster, config)
      if (!asked) return this.finish(undefined)
      checked = checkRequest(config, asked, context)
    }
    const plan = await planTransfer(checked, {config, ...cluster, stateDir: context.stateDir})
    const choices = plan.resumed ? undefined : transferChoices(flags as TransferFlagValues)
    if (flags['dry-run']) return this.finish({report: previewTransfer(plan, choices, Date.now()), interrupted: false, exitCode: EXIT.ok})
    const hasWork = plan.items.length > 0 || Boolean(plan.resumed?.carriedOver.inFlight.length)
    if (hasWork && !flags.yes && !(await confirmPlan(describePlan(plan, settingsFor(plan, choices).rate)))) return this.finish(undefined)

    const abort = new AbortController()
    const onSigint = () => abort.abort()
    process.once('SIGINT', onSigint)
    const progress = hasWork ? createProgress(plan.items.length + (plan.resumed?.carriedOver.inFlight.length ?? 0)) : undefined
    try {
      return this.finish(await runTransfer(plan, choices, {
        config, ...cluster, stateDir: context.stateDir, clock: systemClock, onEvent: progress?.onEvent, signal: abort.signal, timeoutMs: flags.timeout,
      }))
    } finally {
      progress?.done()
      process.removeListener('SIGINT', onSigint)
    }
  }

  /** Render the report and set the documented exit code. */
  private finish(outcome: TransferOutcome | undefined): TransferReport | undefined {
    if (!outcome) {
      this.logToStderr('cancelled: nothing sent')
      process.exitCode = EXIT.usage
      return undefined
    }
    // Under --json oclif prints what run() returns: laying out the table would only cost time.
    if (!this.jsonEnabled()) this.log(renderReport(outcome.report, makeStyle()))
    process.exitCode = outcome.exitCode
    return outcome.report
  }
}
