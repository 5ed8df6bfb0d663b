import {Args, Flags} from '@oclif/core'

import {transferFlags} from '../cli/flags.js'
import {pickNode} from '../cli/prompts.js'
import {canPrompt} from '../cli/terminal.js'
import {TransferCommand} from '../cli/transfer-command.js'
import type {TransferReport} from '../engine/report.js'
import {UsageError} from '../errors.js'
import {listNodes} from '../operations/list-nodes.js'

export default class Drain extends TransferCommand {
  static summary = 'Move every session off a node, spread over the other nodes'
  static description = `Every session on the node (the admin's own excepted) goes to another node, the least loaded first.
Each session is sent a server-transfer packet (XEP-0051); the report says who acknowledged, where each reconnected, and how long it took.`

  static examples = [
    '<%= config.bin %> drain node-3',
    '<%= config.bin %> drain node-3 --to node-1 --to node-2 --rate 100 --yes',
    '<%= config.bin %> drain node-3 --dry-run --preflight',
    '<%= config.bin %> drain node-3 --yes --json > drain-report.json',
    '<%= config.bin %> drain node-3 --resume 20261126T011120Z-drain-3f9a --yes',
  ]

  static args = {
    node: Args.string({description: 'the node to empty: its name in the config, or in the cluster (ejabberd@node3); asked on a terminal when left out'}),
  }

  static flags = {
    to: Flags.string({description: 'send sessions only to these nodes (repeat the flag; config or cluster names); default: every other node', multiple: true}),
    ...transferFlags,
    preflight: Flags.boolean({
      description: "first ask each session's client (disco#info) whether it advertises transfers, and show the share in the confirmation and the report",
    }),
    resume: Flags.string({description: 'continue this interrupted drain of NODE (see xtransfer runs)'}),
    cordon: Flags.boolean({
      description:
        'first stop NODE taking new client connections, so that nobody lands back on it (needs the server companion; it stays cordoned after the drain: xtransfer uncordon NODE)',
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<TransferReport | undefined> {
    const {args, flags} = await this.parse(Drain)
    if (!args.node && !canPrompt()) throw new UsageError('missing argument NODE: name the node to drain (it is asked for only on a terminal)')
    if (flags.resume) {
      if (!args.node) throw new UsageError('--resume needs the NODE the run drained')
      return this.transfer({command: 'resume', runId: flags.resume, expect: {command: 'drain', source: args.node}}, flags)
    }
    if (args.node) return this.transfer({command: 'drain', source: args.node, to: flags.to, preflight: flags.preflight}, flags)
    return this.transfer(async (cluster, config) => {
      const nodes = (await listNodes(config, cluster.directory)).flatMap((row) => (row.address === null ? [] : [{...row, address: row.address}]))
      return {command: 'drain', source: await pickNode(nodes, 'Which node do you want to drain?'), to: flags.to, preflight: flags.preflight}
    }, flags)
  }
}
