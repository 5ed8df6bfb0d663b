import {didYouMean} from '../did-you-mean.js'

/** The command's flags as oclif declares them (long name → short char). */
export type KnownFlags = Record<string, {char?: string}>

/**
 * One line for what oclif's parser refused. An unknown flag is named without its value:
 * `--password=X` must not print X (oclif's own message does), and a near miss gets a
 * suggestion (`--dryrun` → `--dry-run`).
 */
export function describeParseError(error: Error, flags: KnownFlags): string {
  const unknown = unknownFlags(error)
  if (unknown) {
    const names = [...new Set(unknown.map(flagName))]
    const candidates = Object.entries(flags).flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])])
    const described = names.map((name) => `${name}${hintFor(name, candidates)}`)
    return `unknown flag${names.length === 1 ? '' : 's'} ${described.join(', ')}`
  }
  const text = error.message.replace(/\s*See more help with --help\s*$/, '')
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^(Note|Alternatively|See more help)/.test(line))
    .join(': ')
    .replace(/:\s*:/g, ':')
}

/** oclif does not export NonExistentFlagsError: it is the parse error that carries `flags`. */
function unknownFlags(error: Error): string[] | undefined {
  const flags = (error as Error & {flags?: unknown}).flags
  return error.constructor.name === 'NonExistentFlagsError' && Array.isArray(flags) ? flags.map(String) : undefined
}

/** `--name=value` → `--name`; `-pvalue` → `-p`. */
function flagName(text: string): string {
  return text.startsWith('--') ? text.split('=')[0] : text.slice(0, 2)
}

function hintFor(name: string, candidates: string[]): string {
  if (/^--pass(word)?$/i.test(name)) return ' (a password is never taken from a flag: use --password-file PATH or XTRANSFER_PASSWORD)'
  return name.startsWith('--') ? didYouMean(name, candidates, '') : ''
}
