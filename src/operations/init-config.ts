import {mkdir, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {stringify} from 'yaml'

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
