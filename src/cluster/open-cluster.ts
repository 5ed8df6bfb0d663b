import {randomBytes} from 'node:crypto'

import parseDuration from 'parse-duration'

import {runCommands} from '../adapters/ejabberd/api-scopes.js'
import {EjabberdCompanion} from '../adapters/ejabberd/ejabberd-companion.js'
import {EjabberdControl} from '../adapters/ejabberd/ejabberd-control.js'
import {EjabberdDirectory} from '../adapters/ejabberd/ejabberd-directory.js'
import {EjabberdApi} from '../adapters/ejabberd/http-api.js'
import {NodeLink} from '../adapters/xep0133/node-link.js'
import {Xep0133Control} from '../adapters/xep0133/xep0133-control.js'
import {Xep0133Directory} from '../adapters/xep0133/xep0133-directory.js'
import {type AdminSession, connectAdmin} from '../connection/admin-session.js'
import {ADMIN_LINK_BACKOFF, ReconnectingLink} from '../connection/reconnecting-link.js'
import {adminServices, apiUrls, type Config, nodeService} from '../config/config-schema.js'
import {UnknownHostError, UnreachableError} from '../errors.js'
import {type Clock, systemClock} from '../model/clock.js'
import type {RunNeeds, SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'

export interface ClusterAccess {
  config: Config
  password: string
  trace?: (direction: 'in' | 'out', xml: string) => void
  /** --debug: which API URL and which admin service answered, and each HTTP call. */
  debug?: (line: string) => void
  clock?: Clock
}

/** What xtransfer reads from a cluster and what it acts through, built once from the config. */
export interface Cluster {
  directory: SessionDirectory
  control: SessionControl
  /**
   * At the start of a transfer run: authorize what it needs, once (ejabberd: a bearer token
   * scoped to the commands behind `needs`, instead of a password check per call). Never fails.
   */
  prepareRun?(needs: RunNeeds): Promise<void>
  /** Lets go of every connection it holds (HTTP keep-alive, XMPP links), however the command ended. */
  close(): Promise<void>
}

/** The directory and the control the config names, authenticated as the admin JID. Nothing connects yet. */
export function openCluster({config, password, trace, debug, clock = systemClock}: ClusterAccess): Cluster {
  const timeoutMs = parseDuration(config.directory.timeout) ?? 10_000
  const retryForMs = parseDuration(config.directory.retryFor) ?? 20_000
  if (config.directory.type === 'xep0133') {
    const links = Object.entries(config.nodes).map(
      ([name, node]) =>
        new NodeLink(
          {name, server: node.server, service: nodeService(node)},
          // Its own resource per node: one shared by the nodes of a cluster would be replaced
          // (ejabberd keeps one session per full JID cluster-wide).
          (linked) =>
            connectAdmin({
              jid: config.admin.jid,
              password,
              service: linked.service,
              insecurePlain: config.admin.insecurePlain,
              resource: `${config.admin.resource}-directory-${linked.name}-${instanceTag()}`,
              timeoutMs,
              trace,
            }),
          clock,
          config.domain,
          timeoutMs,
        ),
    )
    const directory = new Xep0133Directory({links, retryForMs, clock})
    return {
      directory,
      control: new Xep0133Control(links, directory),
      close: async () => {
        await Promise.all(links.map((link) => link.close()))
      },
    }
  }
  const nodeByServer = new Map(Object.entries(config.nodes).map(([name, node]) => [node.server, name]))
  const api = new EjabberdApi({
    urls: apiUrls(config.directory),
    user: config.admin.jid,
    password,
    insecurePlain: config.admin.insecurePlain,
    timeoutMs,
    retryForMs,
    clock,
    debug,
  })
  const admin = new ReconnectingLink(() => openAdmin({config, password, trace, debug}), clock, {
    whileDown: 'wait',
    backoff: ADMIN_LINK_BACKOFF,
    label: adminServices(config).join(', '),
  })
  const companion = new EjabberdCompanion(api)
  const serverByNode = new Map(Object.entries(config.nodes).map(([name, node]) => [name, node.server]))
  const control = new EjabberdControl({api, admin, companion, serverOf: (node) => serverByNode.get(node), nodeOf: (server) => nodeByServer.get(server)})
  // One question, asked once, for both: is mod_xtransfer loaded?
  const present = async () => (await control.abilities()).cordon
  return {
    directory: new EjabberdDirectory({api, nodeByServer, listingTimeoutMs: timeoutMs, companion: {client: companion, present}}),
    control,
    prepareRun: async (needs) => {
      await api.useToken(runCommands(needs, await present().catch(() => false)))
    },
    close: async () => {
      await control.close()
      api.close()
    },
  }
}

/**
 * The admin logged in at the first of the config's services that can be reached (a node that
 * is down or an unknown name is skipped; a refused login is not: the password is the same
 * everywhere). Each connection binds its own resource: two runs sharing `xtransfer` made
 * ejabberd replace one admin session with the other, over and over.
 */
export async function openAdmin({config, password, trace, debug}: ClusterAccess): Promise<AdminSession> {
  const services = adminServices(config)
  let last: unknown
  for (const service of services) {
    try {
      const session = await connectAdmin({
        jid: config.admin.jid,
        password,
        service,
        insecurePlain: config.admin.insecurePlain,
        resource: `${config.admin.resource}-${instanceTag()}`,
        trace,
      })
      debug?.(`admin: logged in at ${service} as ${session.jid}`)
      return session
    } catch (error) {
      if (!(error instanceof UnreachableError || error instanceof UnknownHostError) || service === services.at(-1)) throw error
      debug?.(`admin: ${error.message}; trying ${services[services.indexOf(service) + 1]}`)
      last = error
    }
  }
  throw last
}

/** A short random tag: this process's admin resources are its own. */
function instanceTag(): string {
  return randomBytes(3).toString('hex')
}
