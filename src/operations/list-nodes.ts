import {configuredNode, resolveTarget} from '../cluster/targets.js'
import type {Config} from '../config/config-schema.js'
import {NotSupportedError, type SessionControl} from '../model/control.js'
import {UsageError} from '../errors.js'
import type {SessionDirectory} from '../model/directory.js'

export interface NodeRow {
  name: string
  address: string | null
  server: string
  /** Whether the directory lists this node as part of the cluster. */
  seen: boolean
  sessions: number
  /** Taking no new client connections (the companion's cordon); null when the server cannot say. */
  cordoned: boolean | null
}

/** Each configured node with its live session count, then any cluster node the config does not name. */
export async function listNodes(config: Config, directory: SessionDirectory, control?: Pick<SessionControl, 'cordons'>): Promise<NodeRow[]> {
  const [servers, sessions, cordons] = await Promise.all([directory.listServers(), directory.listSessions(), control?.cordons() ?? new Map()])
  const cordonOf = (node: string) => (cordons.has(node) ? cordons.get(node)!.cordoned : null)
  const counts = new Map<string, number>()
  // The admin's own sessions are xtransfer's, not users': not counted (a drain never moves them).
  for (const session of sessions) if (session.bare !== config.admin.jid) counts.set(session.server, (counts.get(session.server) ?? 0) + 1)
  const seen = new Set(servers.map((view) => view.server))
  const configured = Object.entries(config.nodes).map(([name, node]) => ({
    name,
    address: node.address,
    server: node.server,
    seen: seen.has(node.server),
    sessions: counts.get(node.server) ?? 0,
    cordoned: cordonOf(name),
  }))
  const unconfigured = servers
    .filter((view) => view.node === undefined)
    .map((view) => ({
      name: view.server,
      address: null,
      server: view.server,
      seen: true,
      sessions: counts.get(view.server) ?? 0,
      cordoned: cordonOf(view.server),
    }))
  return [...configured, ...unconfigured]
}

/**
 * `xtransfer cordon NODE` / `uncordon NODE`: the node stops (or starts again) taking new client
 * connections; its sessions stay. kubectl's habit: a drain cordons, and only an uncordon opens
 * the node again. Needs the server companion.
 */
export async function setCordon(
  config: Config,
  control: Pick<SessionControl, 'abilities' | 'cordon' | 'uncordon' | 'cordons'>,
  nodeText: string,
  cordoned: boolean,
  redirectText?: string,
): Promise<NodeCordon> {
  const node = configuredNode(config, nodeText)
  // Checked before the server is asked anything: a bad address cordons nothing.
  const redirect = redirectText === undefined ? undefined : resolveTarget(config, redirectText, '--redirect')
  if (redirect?.isNode && redirect.name === node)
    throw new UsageError(`--redirect ${redirectText}: that is the node being cordoned; name another node or HOST:PORT`)
  if (!(await control.abilities()).cordon) throw new NotSupportedError(`a cordon (needs the server companion: docs/servers.md)`)
  if (cordoned) await control.cordon(node, redirect?.address)
  else await control.uncordon(node)
  const state = (await control.cordons()).get(node)
  return {
    node,
    cordoned: state?.cordoned ?? cordoned,
    ...(state?.mode ? {mode: state.mode} : {}),
    ...(state?.redirect ? {redirect: state.redirect} : {}),
  }
}

export interface NodeCordon {
  node: string
  cordoned: boolean
  /** `refuse`: new connections are refused; `redirect`: answered with <see-other-host> to `redirect`. */
  mode?: 'refuse' | 'redirect'
  /** HOST[:PORT] new connections are sent to (mode `redirect`). */
  redirect?: string
}
