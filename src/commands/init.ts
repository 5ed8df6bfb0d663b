import {existsSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {ClusterCommand} from '../cli/base-command.js'
import {askChoice, askPassword, askText, askYesNo} from '../cli/prompts.js'
import {canPrompt} from '../cli/terminal.js'
import {configPath} from '../config/load-config.js'
import {AuthError, DeclinedError, UsageError, XtransferError} from '../errors.js'
import {
  checkAdminLogin,
  defaultPasswordFile,
  type InitAnswers,
  type InitDirectory,
  type InitNode,
  listClusterServers,
  proposeAddress,
  serviceAddress,
  writeInitFiles,
} from '../operations/init-config.js'
import {parseDomain, parseServer} from '../protocol/index.js'

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

export default class Init extends ClusterCommand {
  static summary = 'Write a config file by answering questions'
  static description = `Write a config file by answering questions: the domain, the admin JID, the directory (ejabberd's HTTP API, or XEP-0133 ad-hoc commands for Prosody and others), and the nodes, with each node's address proposed.
It tests the login before writing (a wrong password can be typed again), and stores no password unless you ask (then in a file with mode 600).`

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
    const adminJid = await askText("Admin JID (in the server's admin ACL)", {
      default: `admin@${domain}`,
      validate: (text) => /^[^@/\s]+@[^@/\s]+$/.test(text.trim()) || 'a bare JID like admin@example.org',
    })
    const service = await askText('Where the admin logs in (xmpp://host:port for STARTTLS, xmpps:// for direct TLS)', {
      default: `xmpp://${domain}:5222`,
      validate: (text) => /^xmpps?:\/\/[^/\s]+$/.test(text.trim()) || 'like xmpp://host:5222',
    })
    const insecurePlain = await askYesNo('Allow a login without TLS? (labs only)', false)
    const type = await askChoice('How are sessions listed?', [
      {name: 'ejabberd: its HTTP API (mod_http_api)', value: 'ejabberd' as const},
      {name: 'XEP-0133 ad-hoc commands on each node (Prosody, other servers)', value: 'xep0133' as const},
    ])
    const directory: InitDirectory =
      type === 'ejabberd'
        ? {
            type,
            api: await askText('ejabberd HTTP API URL (mod_http_api)', {
              default: `https://${new URL(service).hostname}:5443/api`,
              validate: (text) => /^https?:\/\/\S+$/.test(text.trim()) || 'an http(s):// URL',
            }),
          }
        : {type}
    let password = await askPassword(adminJid)
    const draft: InitAnswers = {
      domain,
      adminJid,
      service,
      insecurePlain,
      directory,
      nodes: [{name: 'node-1', address: serviceAddress(service), server: 'ejabberd@localhost'}],
    }

    // A wrong password is typed again here, not by starting over.
    const retryPassword = async (error: unknown) => {
      if (!(error instanceof AuthError) || !(await askYesNo('Type the password again?', true))) return false
      password = await askPassword(adminJid)
      return true
    }
    const login = await this.tested('the admin login', () => checkAdminLogin(draft, password), retryPassword)

    let nodes: InitNode[]
    if (directory.type === 'ejabberd') {
      const servers = (await this.tested('the directory', () => listClusterServers(draft, password), retryPassword)) ?? []
      if (servers.length > 0) this.logToStderr(`the cluster has ${servers.length} node(s): ${servers.join(', ')}`)
      const names = servers.length > 0 ? servers : [await askText('Server name of the first node (as the cluster names it)', {default: 'ejabberd@localhost'})]
      nodes = []
      for (const [index, server] of names.entries()) {
        const name = await askNodeName(`Name for ${server}`, `node-${index + 1}`)
        const address = await askAddress(name, proposeAddress(server, service, login?.server))
        nodes.push({name, address, server})
      }
    } else {
      nodes = await askXep0133Nodes(service)
      const answered = await this.tested('the directory', () => listClusterServers({...draft, nodes}, password), retryPassword)
      if (answered) this.logToStderr(`${answered.length} of ${nodes.length} node(s) answered: ${answered.join(', ')}`)
    }
    const store = await askYesNo('Store the admin password in a file (mode 600) next to the config?', false)
    const answers: InitAnswers = {...draft, nodes, passwordFile: store ? defaultPasswordFile(path) : undefined}
    const written = await writeInitFiles(path, answers, store ? password : undefined)
    this.log(
      `wrote ${written.config}${written.passwordFile ? ` and ${written.passwordFile} (mode 600)` : ' (no password stored: set XTRANSFER_PASSWORD or give --password-file)'}`,
    )
  }

  /** Runs a check; on failure says why, offers `retry` (true: run it again), else asks whether to go on. */
  private async tested<T>(what: string, check: () => Promise<T>, retry: (error: unknown) => Promise<boolean>): Promise<T | undefined> {
    for (;;) {
      try {
        const value = await check()
        this.logToStderr(`✔ ${what} works`)
        return value
      } catch (error) {
        const message = error instanceof XtransferError ? error.message : (error as Error).message
        this.logToStderr(`✖ ${what} failed: ${message}`)
        if (await retry(error)) continue
        if (!(await askYesNo('Go on anyway?', false))) throw error
        return undefined
      }
    }
  }
}

/** XEP-0133: no directory lists the nodes, so the operator names each one. */
async function askXep0133Nodes(service: string): Promise<InitNode[]> {
  const nodes: InitNode[] = []
  for (;;) {
    const name = await askNodeName(
      `Name of node ${nodes.length + 1}`,
      `node-${nodes.length + 1}`,
      nodes.map((node) => node.name),
    )
    const address = await askAddress(name, nodes.length === 0 ? serviceAddress(service) : '')
    const nodeService = await askText(`Where the admin logs in to ${name}`, {
      default: `xmpp://${address}`,
      validate: (text) => /^xmpps?:\/\/[^/\s]+$/.test(text.trim()) || 'like xmpp://host:5222',
    })
    nodes.push({name, address, service: nodeService})
    if (!(await askYesNo('Add another node?', nodes.length < 2))) return nodes
  }
}

async function askNodeName(message: string, fallback: string, taken: string[] = []): Promise<string> {
  return askText(message, {
    default: fallback,
    validate: (text) => (!NODE_NAME.test(text.trim()) ? 'letters, digits, ".", "_" and "-"' : taken.includes(text.trim()) ? 'that name is taken' : true),
  })
}

async function askAddress(name: string, proposed: string): Promise<string> {
  return askText(`Address clients reconnect to for ${name} (HOST[:PORT], goes into <server>)`, {
    default: proposed || undefined,
    validate: (text) => ok(parseServer(text.trim())),
  })
}

function ok(parsed: {ok: true} | {ok: false; reason: string}): true | string {
  return parsed.ok || parsed.reason
}
