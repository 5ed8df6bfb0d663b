import {Flags} from '@oclif/core'

import {UsageError} from '../errors.js'
import {makeStyle} from '../render/style.js'
import type {View} from '../render/view.js'

/**
 * kubectl's `-o`: `table` (the default, fits 80 columns), `wide` (every column; for a run's
 * report every row too), `json` (what --json prints), `ndjson` (the transfer commands: one
 * event per line as it happens, then the summary; docs/events.schema.json), `name` (one name
 * per line: node names, JIDs, run ids).
 */
export type OutputFormat = 'table' | 'wide' | 'json' | 'ndjson' | 'name'

function outputFlags(formats: readonly OutputFormat[], names: string) {
  return {
    output: Flags.string({
      char: 'o',
      description: `output format: table (fits 80 columns), wide (every column${formats.includes('ndjson') ? ' and row' : ''}), json (as --json)${
        formats.includes('ndjson') ? ', ndjson (one JSON event per line as it happens, then the summary)' : ''
      }, name (${names}, one a line)`,
      options: [...formats],
      default: 'table',
      helpGroup: 'OUTPUT',
    }),
    'no-header': Flags.boolean({description: 'rows only: no header row and no count or hint lines (table and wide)', helpGroup: 'OUTPUT'}),
  }
}

export const nodesOutputFlags = outputFlags(['table', 'wide', 'json', 'name'], 'node names')
export const sessionsOutputFlags = outputFlags(['table', 'wide', 'json', 'name'], 'full JIDs')
export const runsOutputFlags = outputFlags(['table', 'wide', 'json', 'name'], 'run ids')
export const reportOutputFlags = outputFlags(['table', 'wide', 'json', 'name'], "the sessions' JIDs")

/** Transfer commands: the streamed form too, and how much is said while it runs. */
export const transferOutputFlags = {
  ...outputFlags(['table', 'wide', 'json', 'ndjson', 'name'], "the sessions' JIDs"),
  quiet: Flags.boolean({char: 'q', description: 'only the summary and errors: no progress, no table', helpGroup: 'OUTPUT', exclusive: ['verbose']}),
  verbose: Flags.boolean({description: "each session's steps as they happen, on stderr (sending, sent, acted, settled…)", helpGroup: 'OUTPUT'}),
}

export interface OutputFlagValues {
  output?: string
  'no-header'?: boolean
  json?: boolean
}

/** What a command prints, once its flags are parsed. */
export interface OutputChoice {
  format: OutputFormat
  /** The human layout (table and wide). */
  view: View
}

export function outputChoice(flags: OutputFlagValues, stream: NodeJS.WriteStream = process.stdout): OutputChoice {
  const given = (flags.output ?? 'table') as OutputFormat
  if (flags.json && given !== 'table' && given !== 'json') throw new UsageError(`--json and -o ${given} ask for two formats: give one`)
  const format = flags.json ? 'json' : given
  return {
    format,
    view: {
      style: makeStyle(stream),
      wide: format === 'wide',
      header: !flags['no-header'],
      // Cut to the terminal's width only: a pipe or a file gets every character.
      maxWidth: stream.isTTY && stream.columns ? stream.columns : undefined,
    },
  }
}

/**
 * The -o value straight from argv, for what runs before (or without) a successful parse:
 * whether an error is printed as JSON. Every spelling oclif takes: -o json, -ojson, -o=json,
 * --output json, --output=json; nothing after `--`.
 */
export function outputFromArgv(argv: readonly string[]): string | undefined {
  let found: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') break
    if (arg === '-o' || arg === '--output') found = argv[++i]
    else if (arg.startsWith('--output=')) found = arg.slice('--output='.length)
    else if (arg.startsWith('-o=')) found = arg.slice(3)
    else if (/^-o[a-z]/.test(arg)) found = arg.slice(2)
  }
  return found
}
