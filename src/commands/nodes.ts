import {ClusterCommand} from '../cli/base-command.js'
import {listNodes, type NodeRow} from '../operations/list-nodes.js'
import {makeStyle} from '../render/style.js'
import {renderNodes} from '../render/tables.js'

export default class Nodes extends ClusterCommand {
  static summary = 'List the nodes with their session counts and cluster state'
  static description = 'For each configured node: its address, its name in the cluster, whether the cluster sees it, and its live sessions.'
  static examples = ['<%= config.bin %> nodes', '<%= config.bin %> nodes --json']

  async run(): Promise<{nodes: NodeRow[]}> {
    const {flags} = await this.parse(Nodes)
    const {config, cluster} = await this.openCluster(flags)
    const nodes = await listNodes(config, cluster.directory, cluster.control)
    this.log(renderNodes(nodes, makeStyle()))
    return {nodes}
  }
}
