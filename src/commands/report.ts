import {Args, Flags} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import {outputChoice, reportOutputFlags} from '../cli/output.js'
import type {TransferReport} from '../engine/report.js'
import {readRun} from '../journal/journal-reader.js'
import {runsDir} from '../journal/runs-dir.js'
import {reportFromJournal} from '../operations/run-report.js'
import {renderReport} from '../render/report-table.js'

export default class Report extends ClusterCommand {
  static summary = "Print a past run's report again"
  static description = `From the run's journal, as it was printed at the end of the run; the exit code is the run's own.
Beyond a few hundred sessions the table lists only those that did not move: -o wide or --json gives every row.`

  static examples = [
    '<%= config.bin %> report 20261126T011120Z-drain-3f9a',
    '<%= config.bin %> report 20261126T011120Z-drain-3f9a -o wide',
    '<%= config.bin %> report 20261126T011120Z-drain-3f9a --json',
  ]

  static args = {run: Args.string({description: 'run id (see xtransfer runs)', required: true})}
  static flags = {
    ...reportOutputFlags,
    quiet: Flags.boolean({char: 'q', description: 'only the summary', helpGroup: 'OUTPUT'}),
  }

  async run(): Promise<TransferReport> {
    const {args, flags} = await this.parse(Report)
    const output = outputChoice(flags)
    const {report, exitCode} = reportFromJournal(readRun(runsDir(), args.run))
    // Under --json oclif prints the returned report; laying out a table nobody sees cost seconds at 50,000 rows.
    if (output.format === 'name') {
      if (report.sessions.length) this.log(report.sessions.map((row) => row.jid).join('\n'))
    } else if (!this.jsonEnabled()) this.log(renderReport(report, {...output.view, quiet: flags.quiet}))
    process.exitCode = exitCode
    return report
  }
}
