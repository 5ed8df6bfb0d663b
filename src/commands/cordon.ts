import {Args, Flags} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import {nodesOutputFlags, outputChoice} from '../cli/output.js'
import {type NodeCordon, setCordon} from '../operations/list-nodes.js'

export default class Cordon extends ClusterCommand {
  static summary = 'Stop a node taking new client connections; its sessions stay'
  static description = `The node's client listeners stop accepting connections (clients that try it go to their next DNS SRV record or load-balanced address); the sessions already there keep working. drain does this first and leaves the node cordoned, as kubectl does: undo it with xtransfer uncordon NODE. Needs the server companion (docs/servers.md).`
  static examples = ['<%= config.bin %> cordon node-3', '<%= config.bin %> cordon node-3 --redirect node-1', '<%= config.bin %> cordon node-3 --json']
  static args = {node: Args.string({description: 'the node, as named in the config or by the cluster', required: true})}
  static flags = {
    ...nodesOutputFlags,
    redirect: Flags.string({
      description:
        'answer new connections with <see-other-host> to this node (config or cluster name) or HOST:PORT instead of refusing them: clients that follow it (most do, lab notes) land there without waiting for their next SRV record',
      helpValue: 'NODE|HOST:PORT',
    }),
  }

  async run(): Promise<NodeCordon> {
    const {args, flags} = await this.parse(Cordon)
    const output = outputChoice(flags)
    const {config, cluster} = await this.openCluster(flags)
    const state = await setCordon(config, cluster.control, args.node, true, flags.redirect)
    if (output.format === 'name') this.log(state.node)
    else if (!state.cordoned) this.log(`${state.node} takes new client connections`)
    else
      this.log(
        `${state.node} is cordoned: ${state.mode === 'redirect' ? `new client connections are sent to ${state.redirect} (<see-other-host>)` : 'it takes no new client connections'} (xtransfer uncordon ${state.node} undoes it)`,
      )
    return state
  }
}
