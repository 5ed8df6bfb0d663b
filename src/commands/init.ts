import {existsSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import {askPassword, askText, askYesNo} from '../cli/prompts.js'
import {canPrompt} from '../cli/terminal.js'
import {configPath} from '../config/load-config.js'
import {DeclinedError, UsageError, XtransferError} from '../errors.js'
import {checkAdminLogin, defaultPasswordFile, type InitAnswers, listClusterServers, writeInitFiles} from '../operations/init-config.js'
import {parseDomain, parseServer} from '../protocol/index.js'

export default class Init extends ClusterCommand {
  static summary = 'Write a config file by answering questions'
  static description = `Write a config file by answering questions: the domain, the admin JID, the directory API, and the nodes (offered from what the directory reports). It tests the login before writing, and stores no password unless you ask (then in a file with mode 600).`
  static examples = ['<%= config.bin %> init', '<%= config.bin %> init --config ./cluster.yaml']
  static enableJsonFlag = false
  static flags = {
    force: Flags.boolean({description: 'overwrite an existing config without asking'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Init)
    if (!canPrompt()) throw new UsageError('init asks questions: run it on a terminal (or write the config by hand: see the README)')
    const path = configPath({flag: flags.config})
    if (existsSync(path) && !flags.force && !(await askYesNo(`${path} exists. Overwrite it?`))) throw new DeclinedError('init cancelled: config left as it was')

    const domain = await askText('XMPP domain', {validate: (text) => ok(parseDomain(text.trim()))})
    const adminJid = await askText('Admin JID (in the server\'s admin ACL)', {default: `admin@${domain}`, validate: (text) => /^[^@/\s]+@[^@/\s]+$/.test(text.trim()) || 'a bare JID like admin@example.org'})
    const service = await askText('Where the admin logs in (xmpp://host:port for STARTTLS, xmpps:// for direct TLS)', {default: `xmpp://${domain}:5222`, validate: (text) => /^xmpps?:\/\/[^/\s]+$/.test(text.trim()) || 'like xmpp://host:5222'})
    const insecurePlain = await askYesNo('Allow a login without TLS? (labs only)', false)
    const api = await askText('ejabberd HTTP API URL (mod_http_api)', {default: `https://${domain}:5443/api`, validate: (text) => /^https?:\/\/\S+$/.test(text.trim()) || 'an http(s):// URL'})
    const password = await askPassword(adminJid)

    const draft: InitAnswers = {domain, adminJid, service, insecurePlain, api, nodes: [{name: 'node-1', address: `${domain}:5222`, server: 'ejabberd@localhost'}]}
    const servers = await this.tested('the directory', () => listClusterServers(draft, password)) ?? []
    await this.tested('the admin login', () => checkAdminLogin(draft, password))

    const nodes: InitAnswers['nodes'] = []
    if (servers.length > 0) this.logToStderr(`the cluster has ${servers.length} node(s): ${servers.join(', ')}`)
    const names = servers.length > 0 ? servers : [await askText('Server name of the first node (as the cluster names it)', {default: 'ejabberd@localhost'})]
    for (const [index, server] of names.entries()) {
      const name = await askText(`Name for ${server}`, {default: `node-${index + 1}`, validate: (text) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(text.trim()) || 'letters, digits, ".", "_" and "-"'})
      const address = await askText(`Address clients reconnect to for ${name} (HOST[:PORT], goes into <server>)`, {validate: (text) => ok(parseServer(text.trim()))})
      nodes.push({name, address, server})
    }
    const store = await askYesNo('Store the admin password in a file (mode 600) next to the config?', false)
    const answers: InitAnswers = {...draft, nodes, passwordFile: store ? defaultPasswordFile(path) : undefined}
    const written = await writeInitFiles(path, answers, store ? password : undefined)
    this.log(`wrote ${written.config}${written.passwordFile ? ` and ${written.passwordFile} (mode 600)` : ' (no password stored: set XTRANSFER_PASSWORD or give --password-file)'}`)
  }

  /** Runs a check; on failure says why and asks whether to go on. */
  private async tested<T>(what: string, check: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await check()
      this.logToStderr(`✔ ${what} works`)
      return value
    } catch (error) {
      const message = error instanceof XtransferError ? error.message : (error as Error).message
      this.logToStderr(`✖ ${what} failed: ${message}`)
      if (!(await askYesNo('Go on anyway?', false))) throw error
      return undefined
    }
  }
}

function ok(parsed: {ok: true} | {ok: false; reason: string}): true | string {
  return parsed.ok || parsed.reason
}

