import {ClusterCommand} from '../cli/base-command.js'
import {listRuns, type RunSummaryRow} from '../journal/journal-reader.js'
import {runsDir} from '../journal/runs-dir.js'
import {makeStyle} from '../render/style.js'
import {renderRuns} from '../render/tables.js'

export default class Runs extends ClusterCommand {
  static summary = 'List past runs, newest first'
  static description = `Every move, drain, rehome and rebalance run, from its journal, with its state (finished or unfinished).
Journals live in $XDG_STATE_HOME/xtransfer/runs (~/.local/state/xtransfer/runs), or $XTRANSFER_STATE_DIR/runs.`

  static examples = ['<%= config.bin %> runs', '<%= config.bin %> runs --json']

  async run(): Promise<{runs: RunSummaryRow[]}> {
    await this.parse(Runs)
    const runs = listRuns(runsDir())
    this.log(runs.length ? renderRuns(runs, makeStyle()) : `no runs in ${runsDir()}`)
    return {runs}
  }
}
