import {readFile, stat} from 'node:fs/promises'

import {ConfigError, UsageError} from '../errors.js'

export interface PasswordSources {
  /** `--password-file`, which wins over everything else. */
  fileFlag?: string
  env?: NodeJS.ProcessEnv
  /** `admin.passwordFile` from the config. */
  configFile?: string
  /** Asks on the terminal; absent when there is no TTY. */
  prompt?: () => Promise<string>
}

/**
 * The admin password from `--password-file`, `XTRANSFER_PASSWORD`, the config's
 * `passwordFile`, or a prompt — never from argv, and never echoed.
 */
export async function resolvePassword({fileFlag, env = process.env, configFile, prompt}: PasswordSources): Promise<string> {
  if (fileFlag) return readPasswordFile(fileFlag)
  if (env.XTRANSFER_PASSWORD) return env.XTRANSFER_PASSWORD
  if (configFile) return readPasswordFile(configFile)
  if (prompt) {
    const answer = await prompt()
    if (answer) return answer
    throw new UsageError('no password given')
  }
  throw new UsageError('no admin password: set XTRANSFER_PASSWORD, give --password-file PATH or admin.passwordFile, or run on a terminal to be asked')
}

/** Like ssh with a private key: a file that others may read is refused. */
export async function readPasswordFile(path: string): Promise<string> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (error) {
    throw new ConfigError(`cannot read password file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`password file ${path} is accessible by others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${path}`)
  }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read password file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  const password = text.replace(/\r?\n$/, '')
  if (!password) throw new ConfigError(`password file ${path} is empty`)
  return password
}
