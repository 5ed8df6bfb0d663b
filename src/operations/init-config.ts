import {mkdir, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

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
    await writeFile(answers.passwordFile, `${password}\n`, {mode: 0o600})
  }
  await writeFile(path, configYaml(answers), {mode: 0o644})
  return {config: path, passwordFile: answers.passwordFile}
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
