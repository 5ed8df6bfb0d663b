import {Args, Flags} from '@oclif/core'

import {transferFlags} from '../cli/flags.js'
import {pickTarget} from '../cli/prompts.js'
import {canPrompt} from '../cli/terminal.js'
import {TransferCommand} from '../cli/transfer-command.js'
import type {TransferReport} from '../engine/report.js'
import {UsageError} from '../errors.js'
import {listNodes} from '../operations/list-nodes.js'
import {listSessions} from '../operations/list-sessions.js'

export default class Move extends TransferCommand {
  static summary = 'Move named sessions to a node or an address'
  static description = `A bare JID moves all of the user's sessions, a full JID moves that one session.`

  static examples = [
    '<%= config.bin %> move alice@example.org --to node-2',
    '<%= config.bin %> move alice@example.org --to 10.0.0.5:5222',
    '<%= config.bin %> move alice@example.org/phone bob@example.org --to node-1 --yes --json',
    '<%= config.bin %> move    # on a terminal: pick sessions from a searchable list, then the target',
  ]

  static strict = false
  static args = {
    jid: Args.string({description: 'JIDs to move (bare or full); on a terminal, picked from a list when left out'}),
  }

  static flags = {
    to: Flags.string({description: 'target: a node (config or cluster name) or HOST[:PORT]; asked on a terminal when left out'}),
    ...transferFlags,
  }

  async run(): Promise<TransferReport | undefined> {
    const {argv, flags} = await this.parse(Move)
    const jids = argv as string[]
    if (!canPrompt()) {
      if (jids.length === 0) throw new UsageError('missing argument JID: name the sessions to move (they are picked from a list only on a terminal)')
      if (!flags.to) throw new UsageError('missing --to: a node name or HOST[:PORT] (asked for only on a terminal)')
    }
    if (jids.length > 0 && flags.to) return this.transfer({command: 'move', jids, to: flags.to}, flags)
    return this.transfer(async (cluster, config) => {
      let picked = jids
      if (picked.length === 0) {
        const sessions = (await listSessions(config, cluster.directory, {})).filter((session) => session.bare !== config.admin.jid)
        if (sessions.length === 0) throw new UsageError('no sessions online to pick from')
        // The picker (@inquirer/core) loads only when a terminal asks for it: `move JID` starts without it.
        const {pickSessions} = await import('../cli/session-picker.js')
        const chosen = await pickSessions(sessions)
        if (!chosen?.length) return undefined // Escape, or nothing picked: declined
        picked = chosen
      }
      const to =
        flags.to ??
        (await pickTarget((await listNodes(config, cluster.directory)).flatMap((row) => (row.address === null ? [] : [{...row, address: row.address}]))))
      return {command: 'move', jids: picked, to}
    }, flags)
  }
}
