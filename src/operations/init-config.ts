import {randomBytes} from 'node:crypto'
import {mkdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {stringify} from 'yaml'

import {openAdmin, openCluster} from '../cluster/open-cluster.js'
import type {Config} from '../config/config-schema.js'
import {configSchema} from '../config/config-schema.js'

export interface InitNode {
  name: string
  /** HOST:PORT clients reconnect to (goes into <server>). */
  address: string
  /** ejabberd: the node's Erlang name, as list_cluster gives it. */
  server?: string
  /** xep0133: where the admin logs in to this node, when not xmpp://<address>. */
  service?: string
}

export type InitDirectory = {type: 'ejabberd'; api: string} | {type: 'xep0133'}

export interface InitAnswers {
  domain: string
  adminJid: string
  service: string
  insecurePlain: boolean
  directory: InitDirectory
  nodes: InitNode[]
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
    directory: answers.directory,
    nodes: Object.fromEntries(
      answers.nodes.map((node) => [
        node.name,
        {
          address: node.address,
          ...(node.server ? {server: node.server} : {}),
          ...(node.service && node.service !== `xmpp://${node.address}` ? {service: node.service} : {}),
        },
      ]),
    ),
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

/** HOST:PORT of an xmpp:// or xmpps:// service (5222 when it names no port). */
export function serviceAddress(service: string): string {
  try {
    const url = new URL(service)
    return `${url.hostname}:${url.port || '5222'}`
  } catch {
    return ''
  }
}

/**
 * A first guess at where clients reconnect for each cluster node, for the operator to
 * accept or correct: the node the admin's own session is on is where its service points;
 * another node, the host of its Erlang name (ejabberd@node2.example.org) at the same port.
 */
export function proposeAddress(server: string, service: string, adminServer: string | undefined): string {
  const own = serviceAddress(service)
  if (server === adminServer || !own) return own
  const host = server.includes('@') ? server.slice(server.indexOf('@') + 1) : ''
  return host ? `${host}:${own.slice(own.lastIndexOf(':') + 1)}` : own
}

/** init's check of the directory: the nodes it lists (ejabberd: the whole cluster; xep0133: each node that answers). */
export async function listClusterServers(answers: InitAnswers, password: string): Promise<string[]> {
  const cluster = openCluster({config: configFromAnswers(answers), password})
  try {
    return (await cluster.directory.listServers()).map((view) => view.server).sort()
  } finally {
    await cluster.close()
  }
}

/**
 * init's check of the admin login. With an ejabberd directory it also says which node the
 * admin's session landed on (the node its service address reaches), when the API tells.
 */
export async function checkAdminLogin(answers: InitAnswers, password: string): Promise<{server?: string}> {
  const config = configFromAnswers(answers)
  const admin = await openAdmin({config, password})
  try {
    if (answers.directory.type !== 'ejabberd') return {}
    const cluster = openCluster({config, password})
    try {
      const sessions = (await cluster.directory.sessionsOf([config.admin.jid])).get(config.admin.jid) ?? []
      return {server: sessions.find((session) => session.jid === admin.jid)?.server}
    } catch {
      return {} // the directory's own check says what is wrong with it
    } finally {
      await cluster.close()
    }
  } finally {
    await admin.close()
  }
}
