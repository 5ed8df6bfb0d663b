import {Args} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import {nodesOutputFlags, outputChoice} from '../cli/output.js'
import {type NodeCordon, setCordon} from '../operations/list-nodes.js'

export default class Uncordon extends ClusterCommand {
  static summary = 'Let a cordoned node take new client connections again'
  static description = `Undoes xtransfer cordon (and the cordon a drain leaves): the node takes new client connections again. Needs the server companion (docs/servers.md).`
  static examples = ['<%= config.bin %> uncordon node-3', '<%= config.bin %> uncordon node-3 --json']
  static args = {node: Args.string({description: 'the node, as named in the config or by the cluster', required: true})}
  static flags = {...nodesOutputFlags}

  async run(): Promise<NodeCordon> {
    const {args, flags} = await this.parse(Uncordon)
    const output = outputChoice(flags)
    const {config, cluster} = await this.openCluster(flags)
    const state = await setCordon(config, cluster.control, args.node, false)
    if (output.format === 'name') this.log(state.node)
    else
      this.log(
        `${state.node} ${state.cordoned ? 'is cordoned: it takes no new client connections (xtransfer uncordon ' + state.node + ' undoes it)' : 'takes new client connections'}`,
      )
    return state
  }
}
