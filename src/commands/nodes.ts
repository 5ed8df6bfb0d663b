import {ClusterCommand} from '../cli/base-command.js'
import {nodesOutputFlags, outputChoice} from '../cli/output.js'
import {listNodes, type NodeRow} from '../operations/list-nodes.js'
import {renderNodes} from '../render/tables.js'

export default class Nodes extends ClusterCommand {
  static summary = 'List the nodes with their session counts and cluster state'
  static description = `For each configured node: its address, its live sessions, whether it is cordoned and whether the cluster sees it; -o wide adds its name in the cluster.`
  static examples = ['<%= config.bin %> nodes', '<%= config.bin %> nodes -o wide', '<%= config.bin %> nodes --json', '<%= config.bin %> nodes -o name']
  static flags = {...nodesOutputFlags}

  async run(): Promise<{nodes: NodeRow[]}> {
    const {flags} = await this.parse(Nodes)
    const output = outputChoice(flags)
    const {config, cluster} = await this.openCluster(flags)
    const nodes = await listNodes(config, cluster.directory, cluster.control)
    if (output.format === 'name') this.log(nodes.map((node) => node.name).join('\n'))
    else this.log(renderNodes(nodes, output.view))
    return {nodes}
  }
}
