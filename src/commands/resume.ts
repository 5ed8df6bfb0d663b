import {Args, Flags} from '@oclif/core'

import {timeoutFlag} from '../cli/flags.js'
import {transferOutputFlags} from '../cli/output.js'

import {TransferCommand} from '../cli/transfer-command.js'
import type {TransferReport} from '../engine/report.js'

export default class Resume extends TransferCommand {
  static summary = 'Continue an interrupted move or drain'
  static description = `A run interrupted by Ctrl-C, SIGTERM, kill or a lost terminal goes on from its journal.
Sessions never sent a packet are sent one; sessions already sent one are watched and sent another only if still on their source after the wait; a drain also takes sessions that appeared on its node since. The report covers the whole run.`

  static examples = ['<%= config.bin %> resume 20261126T011120Z-drain-3f9a --yes', '<%= config.bin %> resume 20261126T011120Z-drain-3f9a --dry-run']
  static args = {run: Args.string({description: 'run id (see xtransfer runs)', required: true})}
  static flags = {
    'dry-run': Flags.boolean({description: 'print what the resume would send, from what the directory says now, and send nothing'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (needed when there is no terminal)'}),
    timeout: timeoutFlag,
    ...transferOutputFlags,
  }

  async run(): Promise<TransferReport | undefined> {
    const {args, flags} = await this.parse(Resume)
    return this.transfer({command: 'resume', runId: args.run}, flags)
  }
}
