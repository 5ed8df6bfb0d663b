import type {Hook} from '@oclif/core'

import {reportUnknownCommand} from '../cli/unknown-command.js'

/**
 * Ours rather than @oclif/plugin-not-found's: that one shows its suggestion only inside a
 * terminal prompt that then runs the suggested command (a drain, after a typo), prints
 * oclif's own warning format, ignores --json and exits 127.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  // With spaces as the topic separator oclif hands us `dran:node-1`: the command is the first word.
  const words = options.id.split(':')
  reportUnknownCommand(options.config, words[0], [...words, ...(options.argv ?? [])].includes('--json'))
}

export default hook
