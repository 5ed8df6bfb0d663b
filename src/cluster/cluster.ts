import parseDuration from 'parse-duration'

import {AdminSession, connectAdmin} from '../connection/admin-session.js'
import {EjabberdApi} from '../directories/ejabberd-http-api.js'
import {EjabberdDirectory} from '../directories/ejabberd-directory.js'
import {Xep0133Directory} from '../directories/xep0133-directory.js'
import type {SessionDirectory} from '../directories/session-directory.js'
import {Config, nodeService} from '../config/config-schema.js'

export interface ClusterAccess {
  config: Config
  password: string
  trace?: (direction: 'in' | 'out', xml: string) => void
}

/** The directory the config names, authenticated as the admin JID. */
export function openDirectory({config, password, trace}: ClusterAccess): SessionDirectory {
  const timeoutMs = parseDuration(config.directory.timeout) ?? 10_000
  const retryForMs = parseDuration(config.directory.retryFor) ?? 20_000
  if (config.directory.type === 'xep0133') {
    return new Xep0133Directory({
      domain: config.domain,
      nodes: Object.entries(config.nodes).map(([name, node]) => ({name, server: node.server, service: nodeService(node)})),
      // Its own resource per node: the packet connection's, or one shared by the nodes of a
      // cluster (ejabberd keeps one session per full JID cluster-wide), would be replaced.
      login: (node) => connectAdmin({
        jid: config.admin.jid,
        password,
        service: node.service,
        insecurePlain: config.admin.insecurePlain,
        resource: `${config.admin.resource}-directory-${node.name}`,
        timeoutMs,
        trace,
      }),
      timeoutMs,
      retryForMs,
    })
  }
  const nodeByServer = new Map(Object.entries(config.nodes).map(([name, node]) => [node.server, name]))
  const api = new EjabberdApi({
    url: config.directory.api,
    user: config.admin.jid,
    password,
    timeoutMs,
    retryForMs,
  })
  return new EjabberdDirectory({api, nodeByServer, listingTimeoutMs: timeoutMs})
}

export async function openAdmin({config, password, trace}: ClusterAccess): Promise<AdminSession> {
  return connectAdmin({
    jid: config.admin.jid,
    password,
    service: config.admin.service,
    insecurePlain: config.admin.insecurePlain,
    resource: config.admin.resource,
    trace,
  })
}
