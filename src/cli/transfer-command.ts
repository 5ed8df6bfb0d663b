import {ClusterCommand} from './base-command.js'
import {reportExitCode, TransferReport} from '../engine/report.js'
import {EXIT} from '../errors.js'
import {renderReport} from '../render/report-table.js'
import {makeStyle} from '../render/style.js'

/** move and drain: render the report and set the documented exit code. */
export abstract class TransferCommand extends ClusterCommand {
  protected finish(report: TransferReport | undefined, interrupted: boolean): TransferReport | undefined {
    if (!report) {
      this.logToStderr('cancelled: nothing sent')
      process.exitCode = EXIT.usage
      return undefined
    }
    this.log(renderReport(report, makeStyle()))
    process.exitCode = interrupted ? EXIT.interrupted : report.error ? EXIT.access : reportExitCode(report)
    return report
  }
}
