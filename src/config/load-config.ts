import {readFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {xdgConfig} from 'xdg-basedir'
import {parse as parseYaml, YAMLParseError} from 'yaml'
import {z, ZodError, type ZodIssue, type ZodTypeAny} from 'zod'

import {closest} from '../did-you-mean.js'
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
    throw new ConfigError(code === 'ENOENT' ? missingConfig(path, source) : `cannot read config ${path}: ${code ?? (error as Error).message}`)
  }
  return {...parseConfig(text, path), path}
}

/** How to get a config, from where the path came: no advice to set what is already set. */
function missingConfig(path: string, {flag, env = process.env}: ConfigSource): string {
  if (flag) return `no config file at ${path}: write one with xtransfer init --config ${path}`
  if (env.XTRANSFER_CONFIG) return `no config file at ${path} (XTRANSFER_CONFIG): write one with xtransfer init, or point XTRANSFER_CONFIG at yours`
  return `no config file at ${path}: write one with xtransfer init, or give --config PATH or set XTRANSFER_CONFIG`
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
    if (error instanceof ZodError) throw new ConfigError(`${path}: ${describeIssues(error, data)}`)
    throw error
  }
}

/** Every problem at once, on one line: fixing a config one error per run is slow. */
function describeIssues(error: ZodError, data: unknown): string {
  const suggested = new Set<string>()
  const described = error.issues.map((issue) => describeIssue(issue, data, suggested))
  // `domian:` is one problem, not also "domain is missing".
  const lines = described.filter((line, i) => !(isMissing(error.issues[i]) && suggested.has(error.issues[i].path.join('.'))))
  return lines.length === 1 ? lines[0] : `${lines.length} problems: ${lines.join('; ')}`
}

function isMissing(issue: ZodIssue): boolean {
  return issue.code === 'invalid_type' && issue.received === 'undefined'
}

function describeIssue(first: ZodIssue, data: unknown, suggested: Set<string>): string {
  let issue = first
  // "one value or a list" (admin.service, directory.api): a single value's own problem says most.
  while (issue.code === 'invalid_union' && issue.unionErrors[0]?.issues[0]) issue = issue.unionErrors[0].issues[0]
  const where = issue.path.join('.') || '(top level)'
  if (isMissing(issue)) return `${where} is missing`
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path, data)
    return `${where}: ${issue.keys
      .map((key) => {
        const near = closest(key, known)
        if (near === undefined) return `unknown key "${key}"`
        suggested.add([...issue.path, near].join('.'))
        return `unknown key "${key}" (did you mean "${near}"?)`
      })
      .join(', ')}`
  }
  return `${where}: ${issue.message}`
}

/** The keys the schema allows in the object at `path` (of this document: a directory's keys depend on its type). */
function knownKeys(path: ReadonlyArray<string | number>, data: unknown): string[] {
  let schema: ZodTypeAny | undefined = configSchema
  let value = data
  for (let i = 0; ; i++) {
    schema = unwrap(schema, value)
    if (!schema) return []
    if (i === path.length) return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : []
    const step = path[i]
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[step] : undefined
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, ZodTypeAny>)[String(step)]
    else if (schema instanceof z.ZodRecord) schema = schema.valueSchema as ZodTypeAny
    else if (schema instanceof z.ZodArray) schema = schema.element as ZodTypeAny
    else return []
  }
}

/** Through refinements, optionals, defaults; a discriminated union becomes the member the document chose. */
function unwrap(schema: ZodTypeAny | undefined, value: unknown): ZodTypeAny | undefined {
  for (;;) {
    if (schema instanceof z.ZodEffects) schema = schema.innerType() as ZodTypeAny
    else if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) schema = schema.unwrap() as ZodTypeAny
    else if (schema instanceof z.ZodDefault) schema = schema.removeDefault() as ZodTypeAny
    else if (schema instanceof z.ZodDiscriminatedUnion) {
      const chosen = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[schema.discriminator as string] : undefined
      schema = (schema.optionsMap as Map<unknown, ZodTypeAny>).get(chosen)
    } else return schema
  }
}
