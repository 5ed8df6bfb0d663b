import {Args, Flags} from '@oclif/core'

import {transferFlags} from '../cli/flags.js'
import {TransferCommand} from '../cli/transfer-command.js'
import {requireConfirmable, runTransferFlow} from '../cli/transfer-flow.js'
import {loadConfig} from '../config/load-config.js'
import type {TransferReport} from '../engine/report.js'
import {prepareDrain, validateDrainArgs} from '../operations/prepare-transfer.js'
import {pickNode} from '../cli/prompts.js'
import {canPrompt} from '../cli/terminal.js'
import {UsageError} from '../errors.js'
import {listNodes, NodeRow} from '../operations/list-nodes.js'

export default class Drain extends TransferCommand {
  static description = `Move every session off a node (the admin's own excepted), spread over the other nodes least-loaded first.
Each session is sent a server-transfer packet (XEP-0051); the report says who acknowledged, where each reconnected, and how long it took.`

  static examples = [
    '<%= config.bin %> drain node-3',
    '<%= config.bin %> drain node-3 --to node-1 --to node-2 --rate 100 --yes',
    '<%= config.bin %> drain node-3 --dry-run --preflight',
    '<%= config.bin %> drain node-3 --yes --json > drain-report.json',
    '<%= config.bin %> drain node-3 --resume 20261126T011120Z-drain-3f9a --yes',
  ]

  static args = {
    node: Args.string({description: 'the node to empty, as named in the config (on a terminal, asked when left out)'}),
  }

  static flags = {
    to: Flags.string({description: 'send sessions only to these nodes (repeat the flag); default: every other node', multiple: true}),
    ...transferFlags,
    preflight: Flags.boolean({description: "first ask each session's client (disco#info) whether it advertises transfers, and show the share in the confirmation and the report"}),
    resume: Flags.string({description: 'continue this interrupted drain of NODE (see xtransfer runs)'}),
  }

  async run(): Promise<TransferReport | undefined> {
    const {args, flags} = await this.parse(Drain)
    this.debugEnabled = flags.debug
    if (!args.node && !canPrompt()) throw new UsageError('missing argument NODE: name the node to drain (it is asked for only on a terminal)')
    if (flags.resume) {
      if (!args.node) throw new UsageError('--resume needs the NODE the run drained')
      return this.resumeRun(flags.resume, flags, {command: 'drain', source: args.node})
    }
    // Cheap checks first: nothing touches the network before the arguments are known good.
    if (args.node) validateDrainArgs(await loadConfig({flag: flags.config}), args.node, flags.to)
    requireConfirmable(flags)
    const {config, password, directory} = await this.openCluster(flags)
    const node = args.node ?? await pickNode(await listNodes(config, directory).then((rows) => rows.filter((row): row is NodeRow & {address: string} => row.address !== null)), 'Which node do you want to drain?')
    validateDrainArgs(config, node, flags.to)
    const prepared = await prepareDrain(config, directory, node, flags.to)
    if (flags.preflight && prepared.plan.length > 0) prepared.preflight = await this.preflight(config, password, prepared)
    return this.finish(await runTransferFlow({prepared, flags, config, password, directory, trace: this.trace(), showProgress: true}))
  }
}

