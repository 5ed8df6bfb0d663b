import {Flags} from '@oclif/core'

import {transferFlags} from '../cli/flags.js'
import {TransferCommand} from '../cli/transfer-command.js'
import type {TransferReport} from '../engine/report.js'
import {UsageError} from '../errors.js'

export default class Rebalance extends TransferCommand {
  static summary = 'Even out sessions, or fill a node that just came up'
  static description = `Spread load after a node comes back or joins: with --to, the other nodes hand that node sessions until it holds its fair share (or --count N more, or --share S of all), the most loaded giving first; without --to, every node is evened out.
The fewest sessions move. The report shows the sessions per node before, as planned, and after.`

  static examples = [
    '<%= config.bin %> rebalance --to node-4',
    '<%= config.bin %> rebalance --to node-4 --share 0.25 --yes',
    '<%= config.bin %> rebalance --dry-run',
  ]

  static flags = {
    to: Flags.string({description: 'the node that takes load (e.g. one that just came up)'}),
    count: Flags.integer({description: 'with --to: how many sessions it takes', min: 1, exclusive: ['share']}),
    share: Flags.string({description: 'with --to: the share of all sessions it should end with, 0–1', exclusive: ['count']}),
    ...transferFlags,
  }

  async run(): Promise<TransferReport | undefined> {
    const {flags} = await this.parse(Rebalance)
    const share = flags.share === undefined ? undefined : Number(flags.share)
    if (share !== undefined && (!Number.isFinite(share) || share <= 0 || share > 1))
      throw new UsageError(`--share "${flags.share}" is not a number above 0 and at most 1`)
    return this.transfer({command: 'rebalance', to: flags.to, count: flags.count, share}, flags)
  }
}
