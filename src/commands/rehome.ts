import {transferFlags} from '../cli/flags.js'
import {TransferCommand} from '../cli/transfer-command.js'
import type {TransferReport} from '../engine/report.js'

export default class Rehome extends TransferCommand {
  static summary = "Send sessions back to their users' home nodes"
  static description = `Send every session that is not on its user's home node back home, e.g. after a drain once the node is back.
The home node comes from the config's placement: rules (glob or regex on the bare JID, first match wins), a CSV/JSON file of bare JID → node, or a stable hash over the nodes. Users no rule matches stay where they are. Running it twice in a row moves nothing the second time.`

  static examples = ['<%= config.bin %> rehome --dry-run', '<%= config.bin %> rehome --yes --json']
  static flags = {...transferFlags}

  async run(): Promise<TransferReport | undefined> {
    const {flags} = await this.parse(Rehome)
    return this.transfer({command: 'rehome'}, flags)
  }
}
