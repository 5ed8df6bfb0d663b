import {Args, Flags} from '@oclif/core'

import {transferFlags} from '../cli/flags.js'
import {TransferCommand} from '../cli/transfer-command.js'
import {requireConfirmable, runTransferFlow} from '../cli/transfer-flow.js'
import type {TransferReport} from '../engine/report.js'
import {prepareMove} from '../operations/prepare-transfer.js'

export default class Move extends TransferCommand {
  static description = `Move named sessions to a node or an address.
A bare JID moves all of the user's sessions, a full JID moves that one session.`

  static examples = [
    '<%= config.bin %> move alice@example.org --to node-2',
    '<%= config.bin %> move alice@example.org --to 10.0.0.5:5222',
    '<%= config.bin %> move alice@example.org/phone bob@example.org --to node-1 --yes --json',
  ]

  static strict = false
  static args = {
    jid: Args.string({description: 'JIDs to move (bare or full)', required: true}),
  }

  static flags = {
    to: Flags.string({description: 'target: a configured node name or HOST[:PORT]', required: true}),
    ...transferFlags,
  }

  async run(): Promise<TransferReport | undefined> {
    const {argv, flags} = await this.parse(Move)
    this.debugEnabled = flags.debug
    requireConfirmable(flags)
    const {config, password, directory} = await this.openCluster(flags)
    const prepared = await prepareMove(config, directory, argv as string[], flags.to)
    return this.finish(await runTransferFlow({prepared, flags, config, password, directory, trace: this.trace(), showProgress: true}))
  }
}
