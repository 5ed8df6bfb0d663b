import type {TransferReport} from '../engine/report.js'
import {handoverFits} from '../engine/ladder/client-profiles.js'
import {DeclinedError, EXIT} from '../errors.js'
import {INTERRUPT_GRACE_MS} from '../engine/run-transfers.js'
import {runsIn, stateDir} from '../journal/runs-dir.js'
import {systemClock} from '../model/clock.js'
import type {MoveMethodName} from '../model/transfer.js'
import {estimatePace} from '../operations/pace-estimate.js'
import {checkRequest, type CheckedRequest, planTransfer, type TransferPlan, type TransferRequest} from '../operations/plan-transfer.js'
import {ladderMethods, previewTransfer, type RunEvent, runTransfer, settingsFor, type TransferOutcome} from '../operations/run-transfer.js'
import {eventLine, plannedEvent, runEvent, streamEvent, summaryEvent} from '../render/events.js'
import {type Progress, startProgress} from '../render/progress.js'
import {renderReport} from '../render/report-table.js'
import {stepLine} from '../render/step-lines.js'
import {isCI} from '../render/style.js'
import type {TransferSettings} from '../model/settings.js'
import {ClusterCommand} from './base-command.js'
import type {Cluster} from '../cluster/open-cluster.js'
import type {Config} from '../config/config-schema.js'
import {resumeHint, watchInterrupts} from './interrupts.js'
import {type OutputChoice, outputChoice} from './output.js'
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
  json?: boolean
  output?: string
  'no-header'?: boolean
  quiet?: boolean
  verbose?: boolean
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
  protected async transfer(
    request: TransferRequest | ((cluster: Cluster, config: Config) => Promise<TransferRequest | undefined>),
    flags: TransferCommandFlags,
  ): Promise<TransferReport | undefined> {
    const output = outputChoice(flags)
    const config = await this.loadConfig(flags)
    const context = {stateDir: stateDir()}
    let checked: CheckedRequest | undefined = typeof request === 'function' ? undefined : checkRequest(config, request, context)
    requireConfirmable({'dry-run': Boolean(flags['dry-run']), yes: flags.yes})
    const {cluster} = await this.openCluster(flags)
    if (!checked) {
      const asked = await (request as (cluster: Cluster, config: Config) => Promise<TransferRequest | undefined>)(cluster, config)
      if (!asked) throw new DeclinedError()
      checked = checkRequest(config, asked, context)
    }
    const plan = await planTransfer(checked, {config, ...cluster, stateDir: context.stateDir})
    const choices = plan.resumed ? undefined : transferChoices(flags as TransferFlagValues)
    const settings = settingsFor(plan, choices)
    const stream = output.format === 'ndjson' ? (line: string) => process.stdout.write(line) : undefined
    if (flags['dry-run']) {
      const now = Date.now()
      for (const item of plan.items) stream?.(eventLine(plannedEvent(item, now)))
      const report = previewTransfer(plan, choices, now)
      return this.finish({report, interrupted: false, exitCode: EXIT.ok}, output, flags, firstMethods(plan, settings))
    }
    const carried = plan.resumed?.carriedOver.inFlight.length ?? 0
    const hasWork = plan.items.length > 0 || carried > 0
    if (hasWork && !flags.yes) {
      const basis = estimatePace(settings.rate, runsIn(context.stateDir), Object.keys(config.nodes))
      if (!(await confirmPlan(describePlan(plan, basis)))) throw new DeclinedError()
    }

    const abort = new AbortController()
    let runId = plan.resumed?.runId
    // Sent or being sent, not yet settled: what the grace after a Ctrl-C still watches.
    let inFlight = carried
    const startedAt = Date.now()
    // A bar on a terminal (not in CI: its log is a file), plain lines otherwise; none with --quiet.
    let progress: Progress | undefined =
      hasWork && !flags.quiet
        ? startProgress({total: plan.items.length + carried, rate: settings.rate, interactive: Boolean(process.stderr.isTTY) && !isCI()})
        : undefined
    const endProgress = () => {
      progress?.done()
      progress = undefined
    }
    /** On stderr even under --json (oclif's logToStderr is silent then): a runbook's log must show why a run stopped and how to resume it. */
    const say = (line: string) => (progress ? progress.log(line) : process.stderr.write(`${line}\n`))
    const interrupts = watchInterrupts({
      first: () => {
        abort.abort()
        say(`interrupted: stopping, watching ${inFlight} in flight for ${INTERRUPT_GRACE_MS / 1000} s (Ctrl-C again to stop now)`)
      },
      again: () => {
        endProgress()
        // Every step is already in the journal (one write each): the run stays resumable.
        say(resumeHint(this.config.bin, runId))
        process.exit(EXIT.interrupted)
      },
    })
    const onEvent = (event: RunEvent) => {
      if (event.type === 'sending') inFlight++
      else if (event.type === 'settled') inFlight--
      progress?.onEvent(event)
      if (flags.verbose) say(stepLine(event, Date.now() - startedAt))
      stream?.(eventLine(streamEvent(event, Date.now())))
    }
    const onRunId = (id: string) => {
      runId = id
      if (!stream) return
      // The journal is open and nothing is sent yet: the stream starts as the journal does.
      const now = Date.now()
      const header = {runId: id, command: plan.command, source: plan.source, targets: plan.targets, sessions: plan.items.length + carried}
      stream(eventLine(runEvent({...header, resumed: Boolean(plan.resumed)}, now)))
      for (const item of plan.items) stream(eventLine(plannedEvent(item, now)))
    }
    let outcome: TransferOutcome
    try {
      outcome = await runTransfer(plan, choices, {
        config,
        ...cluster,
        stateDir: context.stateDir,
        clock: systemClock,
        onEvent,
        signal: abort.signal,
        onRunId,
        timeoutMs: flags.timeout,
      })
    } finally {
      endProgress()
      interrupts.stop()
    }
    const report = this.finish(outcome, output, flags)
    if (outcome.interrupted) say(resumeHint(this.config.bin, outcome.runId))
    return report
  }

  /** Render the report in the chosen format and set the documented exit code. */
  private finish(
    outcome: Pick<TransferOutcome, 'report' | 'exitCode' | 'interrupted'>,
    output: OutputChoice,
    flags: Pick<TransferCommandFlags, 'quiet'>,
    methods?: ReadonlyMap<string, MoveMethodName>,
  ): TransferReport {
    const {report} = outcome
    // Under --json oclif prints what run() returns: laying out the table would only cost time.
    if (output.format === 'ndjson') process.stdout.write(eventLine(summaryEvent(report, outcome.exitCode, Date.now())))
    else if (output.format === 'name') {
      if (report.sessions.length) this.log(report.sessions.map((row) => row.jid).join('\n'))
    } else if (output.format !== 'json') this.log(renderReport(report, {...output.view, quiet: flags.quiet, firstMethods: methods}))
    process.exitCode = outcome.exitCode
    return report
  }
}

/** For a dry run: the rung each session would start with (a handover only for clients measured to come back from one). */
function firstMethods(plan: TransferPlan, settings: TransferSettings): Map<string, MoveMethodName> {
  const methods = ladderMethods(settings, plan.abilities)
  return new Map(
    plan.items.map((item) => [item.jid, methods.find((method) => method !== 'handover' || handoverFits(item.client ?? {})) ?? methods[0]] as const),
  )
}
