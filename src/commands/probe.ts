import {Args, Flags} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import {outputChoice, sessionsOutputFlags} from '../cli/output.js'
import type {PreflightSummary} from '../engine/report.js'
import {UsageError} from '../errors.js'
import {probeCluster, type ProbeRow} from '../operations/probe-sessions.js'
import {wrapLine} from '../render/columns.js'
import {describePreflight} from '../render/report-table.js'
import {renderProbe} from '../render/tables.js'

export default class Probe extends ClusterCommand {
  static summary = 'Ask clients whether they understand transfer packets'
  static description = `Ask sessions' clients (disco#info) whether they advertise server transfers (jabber:iq:srvxfr, urn:xmpp:cxfr), and print the share.
A client that advertises neither will most likely refuse the packet: see --fallback kick.`

  static examples = [
    '<%= config.bin %> probe --node node-3',
    '<%= config.bin %> probe alice@example.org bob@example.org/phone --json',
    '<%= config.bin %> probe --node node-3 -o wide',
  ]
  static strict = false
  static args = {jid: Args.string({description: 'JIDs to probe (bare: all their sessions)'})}
  static flags = {
    node: Flags.string({char: 'n', description: 'probe every session on this node (config or cluster name)'}),
    ...sessionsOutputFlags,
  }

  async run(): Promise<{summary: PreflightSummary; sessions: ProbeRow[]}> {
    const {argv, flags} = await this.parse(Probe)
    const jids = argv as string[]
    if (!flags.node && jids.length === 0) throw new UsageError('name a --node or some JIDs to probe')
    if (flags.node && jids.length > 0) throw new UsageError('give either --node or JIDs, not both')
    const output = outputChoice(flags)
    const {config, cluster} = await this.openCluster(flags)
    const result = await probeCluster(config, cluster, {node: flags.node, jids})
    if (output.format === 'name') {
      if (result.sessions.length) this.log(result.sessions.map((row) => row.jid).join('\n'))
      return result
    }
    if (result.sessions.length) this.log(renderProbe(result.sessions, output.view))
    if (output.view.header) this.log(wrapLine(describePreflight(result.summary), output.view.maxWidth ?? 80))
    return result
  }
}
