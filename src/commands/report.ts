import {Args} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import type {TransferReport} from '../engine/report.js'
import {readRun} from '../journal/journal-reader.js'
import {runsDir} from '../journal/runs-dir.js'
import {reportFromJournal} from '../operations/run-report.js'
import {renderReport} from '../render/report-table.js'
import {makeStyle} from '../render/style.js'

export default class Report extends ClusterCommand {
  static summary = "Print a past run's report again"
  static description = "From the run's journal, as it was printed at the end of the run; the exit code is the run's own."
  static examples = ['<%= config.bin %> report 20261126T011120Z-drain-3f9a', '<%= config.bin %> report 20261126T011120Z-drain-3f9a --json']
  static args = {run: Args.string({description: 'run id (see xtransfer runs)', required: true})}

  async run(): Promise<TransferReport> {
    const {args} = await this.parse(Report)
    const {report, exitCode} = reportFromJournal(readRun(runsDir(), args.run))
    this.log(renderReport(report, makeStyle()))
    process.exitCode = exitCode
    return report
  }
}
