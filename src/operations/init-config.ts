import {randomBytes} from 'node:crypto'
import {mkdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {stringify} from 'yaml'

import {openAdmin, openCluster} from '../cluster/open-cluster.js'
import type {Config} from '../config/config-schema.js'
import {configSchema} from '../config/config-schema.js'

export interface InitAnswers {
  domain: string
  adminJid: string
  service: string
  insecurePlain: boolean
  api: string
  nodes: Array<{name: string; address: string; server: string}>
  /** Absolute path of a password file to reference, if the operator asked to store one. */
  passwordFile?: string
}

/** The document init writes, in the config file's own shape. */
function configDocument(answers: InitAnswers) {
  return {
    domain: answers.domain,
    admin: {
      jid: answers.adminJid,
      service: answers.service,
      ...(answers.insecurePlain ? {insecurePlain: true} : {}),
      ...(answers.passwordFile ? {passwordFile: answers.passwordFile} : {}),
    },
    directory: {type: 'ejabberd', api: answers.api},
    nodes: Object.fromEntries(answers.nodes.map((node) => [node.name, {address: node.address, server: node.server}])),
  }
}

/** The config init writes, checked by the same schema that reads it. */
export function configFromAnswers(answers: InitAnswers): Config {
  return configSchema.parse(configDocument(answers))
}

export function configYaml(answers: InitAnswers): string {
  configFromAnswers(answers)
  return `# written by xtransfer init\n${stringify(configDocument(answers))}`
}

/** Writes the config (and the password file, 0600, only when asked). */
export async function writeInitFiles(path: string, answers: InitAnswers, password?: string): Promise<{config: string; passwordFile?: string}> {
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  if (answers.passwordFile && password !== undefined) {
    await replaceFile(answers.passwordFile, `${password}\n`, 0o600)
  }
  await replaceFile(path, configYaml(answers), 0o644)
  return {config: path, passwordFile: answers.passwordFile}
}

/**
 * A new file with its mode from the start, renamed over the old one: writeFile's mode
 * applies only when it creates the file, so overwriting a 0644 password file kept it
 * readable by everyone while we said "mode 600". Checked after the rename: never more
 * open than asked (a umask may make it stricter).
 */
async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(temporary, text, {mode, flag: 'wx'})
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, {force: true})
    throw error
  }
  const actual = (await stat(path)).mode & 0o777
  if ((actual & ~mode) !== 0) throw new Error(`${path} has mode ${actual.toString(8)} after writing, not ${mode.toString(8)}`)
}

export function defaultPasswordFile(configPath: string): string {
  return join(dirname(configPath), 'admin.password')
}

/** init's first check: the cluster's nodes as the draft's directory lists them. */
export async function listClusterServers(answers: InitAnswers, password: string): Promise<string[]> {
  const cluster = openCluster({config: configFromAnswers(answers), password})
  try {
    return (await cluster.directory.listServers()).map((view) => view.server).sort()
  } finally {
    await cluster.close()
  }
}

/** init's second check: the admin can log in where the draft says. */
export async function checkAdminLogin(answers: InitAnswers, password: string): Promise<void> {
  const admin = await openAdmin({config: configFromAnswers(answers), password})
  await admin.close()
}
