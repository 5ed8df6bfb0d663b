import {ClusterCommand} from '../cli/base-command.js'
import {outputChoice, runsOutputFlags} from '../cli/output.js'
import {listRuns, type RunSummaryRow} from '../journal/journal-reader.js'
import {runsDir} from '../journal/runs-dir.js'
import {renderRuns} from '../render/tables.js'

export default class Runs extends ClusterCommand {
  static summary = 'List past runs, newest first'
  static description = `Every move, drain, rehome and rebalance run, from its journal: how many moved of those planned, and its state (exit code, failed, or unfinished: resumable). -o wide adds when it started and the sent and not-moved counts.
Journals live in $XDG_STATE_HOME/xtransfer/runs (~/.local/state/xtransfer/runs), or $XTRANSFER_STATE_DIR/runs.`

  static examples = ['<%= config.bin %> runs', '<%= config.bin %> runs -o wide', '<%= config.bin %> runs --json', '<%= config.bin %> runs -o name | head -1']
  static flags = {...runsOutputFlags}

  async run(): Promise<{runs: RunSummaryRow[]}> {
    const {flags} = await this.parse(Runs)
    const output = outputChoice(flags)
    const runs = listRuns(runsDir())
    if (output.format === 'name') {
      if (runs.length) this.log(runs.map((run) => run.id).join('\n'))
    } else if (runs.length) this.log(renderRuns(runs, output.view))
    else if (output.view.header) this.log(`no runs in ${runsDir()}`)
    return {runs}
  }
}
