import {ClusterCommand} from './base-command.js'
import {openAdmin} from '../cluster/cluster.js'
import type {Config} from '../config/config-schema.js'
import type {PreflightSummary} from '../engine/report.js'
import type {PreparedTransfer} from '../operations/prepare-transfer.js'
import {probeSessions, summarizeProbe} from '../operations/probe-sessions.js'
import type {TransferReport} from '../engine/report.js'
import {EXIT, UsageError} from '../errors.js'
import {readRun} from '../journal/journal-reader.js'
import {runsDir} from '../journal/runs-dir.js'
import type {TransferOutcome, TransferSettings} from '../operations/execute-transfer.js'
import {prepareResume} from '../operations/prepare-resume.js'
import {renderReport} from '../render/report-table.js'
import {makeStyle} from '../render/style.js'
import {requireConfirmable, runTransferFlow, TransferFlagValues} from './transfer-flow.js'

interface ResumeFlags {
  yes: boolean
  debug: boolean
  config?: string
  'password-file'?: string
}

/** move, drain and resume: render the report and set the documented exit code. */
export abstract class TransferCommand extends ClusterCommand {
  protected finish(outcome: TransferOutcome | undefined): TransferReport | undefined {
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

  /** disco#info of every planned session, before anything is sent. */
  protected async preflight(config: Config, password: string, prepared: PreparedTransfer): Promise<PreflightSummary> {
    const admin = await openAdmin({config, password, trace: this.trace()})
    try {
      const sessions = prepared.plan.map((item) => ({jid: item.jid, node: item.from}))
      return summarizeProbe(await probeSessions((iq, timeoutMs) => admin.request(iq, timeoutMs), sessions))
    } finally {
      await admin.close()
    }
  }

  /** Continue an interrupted run; `expect` checks it is the run the operator meant (drain NODE --resume RUN). */
  protected async resumeRun(runId: string, flags: ResumeFlags, expect?: {command: string; source: string}): Promise<TransferReport | undefined> {
    this.debugEnabled = flags.debug
    const state = readRun(runsDir(), runId)
    if (expect && (state.header.command !== expect.command || state.header.source !== expect.source)) {
      throw new UsageError(`run ${runId} is a ${state.header.command}${state.header.source ? ` of ${state.header.source}` : ''}, not a ${expect.command} of ${expect.source}`)
    }
    const flagValues: TransferFlagValues = {...settingsAsFlags(state.header.settings), 'dry-run': false, yes: flags.yes}
    requireConfirmable(flagValues)
    const {config, password, directory} = await this.openCluster({debug: flags.debug, config: flags.config, 'password-file': flags['password-file']})
    const resume = await prepareResume(config, directory, state)
    return this.finish(await runTransferFlow({prepared: resume.prepared, resume, flags: flagValues, config, password, directory, trace: this.trace(), showProgress: true}))
  }
}

function settingsAsFlags(settings: TransferSettings): Omit<TransferFlagValues, 'dry-run' | 'yes'> {
  return {namespace: settings.namespace, from: settings.from, rate: settings.rate, concurrency: settings.concurrency, wait: settings.waitMs, 'ack-timeout': settings.ackTimeoutMs, fallback: settings.fallback ?? 'none'}
}
