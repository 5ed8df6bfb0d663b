import {ClusterCommand} from './base-command.js'
import {reportExitCode, TransferReport} from '../engine/report.js'
import {EXIT, XtransferError} from '../errors.js'
import type {TransferOutcome} from '../operations/execute-transfer.js'
import {renderReport} from '../render/report-table.js'
import {makeStyle} from '../render/style.js'

/** move and drain: render the report and set the documented exit code. */
export abstract class TransferCommand extends ClusterCommand {
  protected finish(outcome: TransferOutcome | undefined): TransferReport | undefined {
    if (!outcome) {
      this.logToStderr('cancelled: nothing sent')
      process.exitCode = EXIT.usage
      return undefined
    }
    const {report, failure, interrupted} = outcome
    this.log(renderReport(report, makeStyle()))
    if (interrupted) process.exitCode = EXIT.interrupted
    else if (failure) process.exitCode = failure instanceof XtransferError ? failure.exitCode : EXIT.access
    else process.exitCode = reportExitCode(report)
    return report
  }
}
