import {readFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {xdgConfig} from 'xdg-basedir'
import {parse as parseYaml, YAMLParseError} from 'yaml'
import {ZodError} from 'zod'

import {ConfigError} from '../errors.js'
import {type Config, configSchema} from './config-schema.js'

export interface ConfigSource {
  flag?: string
  env?: NodeJS.ProcessEnv
}

/** `--config PATH`, else `XTRANSFER_CONFIG`, else `$XDG_CONFIG_HOME/xtransfer/config.yaml`. */
export function configPath({flag, env = process.env}: ConfigSource): string {
  if (flag) return resolve(flag)
  if (env.XTRANSFER_CONFIG) return resolve(env.XTRANSFER_CONFIG)
  const base = env.XDG_CONFIG_HOME || xdgConfig || join(env.HOME ?? '.', '.config')
  return join(base, 'xtransfer', 'config.yaml')
}

export async function loadConfig(source: ConfigSource): Promise<Config & {path: string}> {
  const path = configPath(source)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError(code === 'ENOENT'
      ? `no config file at ${path} (give --config PATH or set XTRANSFER_CONFIG)`
      : `cannot read config ${path}: ${code ?? (error as Error).message}`)
  }
  return {...parseConfig(text, path), path}
}

export function parseConfig(text: string, path = 'config'): Config {
  let data: unknown
  try {
    data = parseYaml(text, {prettyErrors: false})
  } catch (error) {
    const line = error instanceof YAMLParseError ? ` (line ${text.slice(0, error.pos[0]).split('\n').length})` : ''
    throw new ConfigError(`${path} is not valid YAML${line}: ${(error as Error).message.split('\n')[0]}`)
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`${path} must be a YAML mapping with domain, admin, directory and nodes`)
  }
  try {
    return configSchema.parse(data)
  } catch (error) {
    if (error instanceof ZodError) throw new ConfigError(`${path}: ${describeIssue(error)}`)
    throw error
  }
}

function describeIssue(error: ZodError): string {
  let issue = error.issues[0]
  // "one value or a list" (admin.service, directory.api): a single value's own problem says most.
  while (issue.code === 'invalid_union' && issue.unionErrors[0]?.issues[0]) issue = issue.unionErrors[0].issues[0]
  const where = issue.path.join('.') || '(top level)'
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return `${where} is missing`
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key ${issue.keys.map((key) => `"${key}"`).join(', ')}`
  return `${where}: ${issue.message}`
}
