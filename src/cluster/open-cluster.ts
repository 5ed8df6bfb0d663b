import parseDuration from 'parse-duration'

import {EjabberdControl} from '../adapters/ejabberd/ejabberd-control.js'
import {EjabberdDirectory} from '../adapters/ejabberd/ejabberd-directory.js'
import {EjabberdApi} from '../adapters/ejabberd/http-api.js'
import {NodeLink} from '../adapters/xep0133/node-link.js'
import {Xep0133Control} from '../adapters/xep0133/xep0133-control.js'
import {Xep0133Directory} from '../adapters/xep0133/xep0133-directory.js'
import {type AdminSession, connectAdmin} from '../connection/admin-session.js'
import {ADMIN_LINK_BACKOFF, ReconnectingLink} from '../connection/reconnecting-link.js'
import {type Config, nodeService} from '../config/config-schema.js'
import {type Clock, systemClock} from '../model/clock.js'
import type {SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'

export interface ClusterAccess {
  config: Config
  password: string
  trace?: (direction: 'in' | 'out', xml: string) => void
  clock?: Clock
}

/** What xtransfer reads from a cluster and what it acts through, built once from the config. */
export interface Cluster {
  directory: SessionDirectory
  control: SessionControl
  /** Lets go of every connection it holds (HTTP keep-alive, XMPP links), however the command ended. */
  close(): Promise<void>
}

/** The directory and the control the config names, authenticated as the admin JID. Nothing connects yet. */
export function openCluster({config, password, trace, clock = systemClock}: ClusterAccess): Cluster {
  const timeoutMs = parseDuration(config.directory.timeout) ?? 10_000
  const retryForMs = parseDuration(config.directory.retryFor) ?? 20_000
  if (config.directory.type === 'xep0133') {
    const links = Object.entries(config.nodes).map(([name, node]) => new NodeLink(
      {name, server: node.server, service: nodeService(node)},
      // Its own resource per node: one shared by the nodes of a cluster would be replaced
      // (ejabberd keeps one session per full JID cluster-wide).
      (linked) => connectAdmin({
        jid: config.admin.jid,
        password,
        service: linked.service,
        insecurePlain: config.admin.insecurePlain,
        resource: `${config.admin.resource}-directory-${linked.name}`,
        timeoutMs,
        trace,
      }),
      clock,
      config.domain,
      timeoutMs,
    ))
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
  const api = new EjabberdApi({url: config.directory.api, user: config.admin.jid, password, insecurePlain: config.admin.insecurePlain, timeoutMs, retryForMs, clock})
  const admin = new ReconnectingLink(() => openAdmin({config, password, trace}), clock, {whileDown: 'wait', backoff: ADMIN_LINK_BACKOFF, label: config.admin.service})
  const control = new EjabberdControl(api, admin)
  return {
    directory: new EjabberdDirectory({api, nodeByServer, listingTimeoutMs: timeoutMs}),
    control,
    close: async () => {
      await control.close()
      api.close()
    },
  }
}

/** One admin login of its own (probe, preflight, init): not the run's packet link. */
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
