import type {Interfaces} from '@oclif/core'

import {didYouMean} from '../did-you-mean.js'
import {EXIT} from '../errors.js'

/**
 * An unknown command (`xtransfer dran`, `xtransfer help dran`): one line like every other
 * error (`xtransfer: …`, or the error object under --json), a did-you-mean, exit 2.
 */
export function reportUnknownCommand(config: Interfaces.Config, typed: string, json: boolean): void {
  const commands = [
    ...new Set(
      config.commands
        .filter((command) => !command.hidden)
        .flatMap((command) => [command.id, ...command.aliases])
        .map((id) => id.split(':')[0]),
    ),
  ]
  // A flag in the command's place may be `--password=secret`: never echo its value.
  const message = typed.startsWith('-')
    ? `${typed.split('=')[0]} is not a command: name one first (${config.bin} help lists them)`
    : `unknown command "${typed}"${didYouMean(typed, commands)}: ${config.bin} help lists the commands`
  if (json) process.stdout.write(`${JSON.stringify({error: {message, exitCode: EXIT.usage, kind: 'UsageError'}}, null, 2)}\n`)
  else process.stderr.write(`${config.bin}: ${message}\n`)
  process.exitCode = EXIT.usage
}
