import parseDuration from 'parse-duration'

import {AdminSession, connectAdmin} from '../connection/admin-session.js'
import {EjabberdApi} from '../directories/ejabberd-http-api.js'
import {EjabberdDirectory} from '../directories/ejabberd-directory.js'
import type {SessionDirectory} from '../directories/session-directory.js'
import type {Config} from '../config/config-schema.js'

export interface ClusterAccess {
  config: Config
  password: string
  trace?: (direction: 'in' | 'out', xml: string) => void
}

/** The directory the config names, authenticated as the admin JID. */
export function openDirectory({config, password}: ClusterAccess): SessionDirectory {
  const nodeByServer = new Map(Object.entries(config.nodes).map(([name, node]) => [node.server, name]))
  const api = new EjabberdApi({
    url: config.directory.api,
    user: config.admin.jid,
    password,
    timeoutMs: parseDuration(config.directory.timeout) ?? 10_000,
    retryForMs: parseDuration(config.directory.retryFor) ?? 20_000,
  })
  return new EjabberdDirectory({api, nodeByServer})
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
