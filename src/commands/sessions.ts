import {Flags} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import {outputChoice, sessionsOutputFlags} from '../cli/output.js'
import type {SessionInfo} from '../model/session.js'
import {listSessions} from '../operations/list-sessions.js'
import {renderSessions} from '../render/tables.js'

export default class Sessions extends ClusterCommand {
  static summary = 'List live sessions with their node, address and uptime'
  static description = `Each live session: its full JID, node, client address and uptime; -o wide adds the node's cluster name and, with the server companion, stream management, resumability and the client's caps node.`
  static examples = [
    '<%= config.bin %> sessions --node node-3',
    '<%= config.bin %> sessions --user alice@example.org --json',
    '<%= config.bin %> sessions --node node-3 -o name | wc -l',
  ]

  static flags = {
    node: Flags.string({char: 'n', description: 'only sessions on this node (config or cluster name)'}),
    user: Flags.string({char: 'u', description: 'only sessions of this JID (bare: all its sessions; full: that one)'}),
    ...sessionsOutputFlags,
  }

  async run(): Promise<{sessions: SessionInfo[]}> {
    const {flags} = await this.parse(Sessions)
    const output = outputChoice(flags)
    const {config, cluster} = await this.openCluster(flags)
    const sessions = await listSessions(config, cluster.directory, {node: flags.node, user: flags.user})
    if (output.format === 'name') {
      if (sessions.length) this.log(sessions.map((session) => session.jid).join('\n'))
    } else this.log(renderSessions(sessions, output.view))
    return {sessions}
  }
}
