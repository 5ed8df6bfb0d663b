import type {Config} from '../config/config-schema.js'
import type {SessionDirectory} from '../model/directory.js'

export interface NodeRow {
  name: string
  address: string | null
  server: string
  /** Whether the directory lists this node as part of the cluster. */
  seen: boolean
  sessions: number
}

/** Each configured node with its live session count, then any cluster node the config does not name. */
export async function listNodes(config: Config, directory: SessionDirectory): Promise<NodeRow[]> {
  const [servers, sessions] = await Promise.all([directory.listServers(), directory.listSessions()])
  const counts = new Map<string, number>()
  for (const session of sessions) counts.set(session.server, (counts.get(session.server) ?? 0) + 1)
  const seen = new Set(servers.map((view) => view.server))
  const configured = Object.entries(config.nodes).map(([name, node]) => ({
    name,
    address: node.address,
    server: node.server,
    seen: seen.has(node.server),
    sessions: counts.get(node.server) ?? 0,
  }))
  const unconfigured = servers
    .filter((view) => view.node === undefined)
    .map((view) => ({
      name: view.server,
      address: null,
      server: view.server,
      seen: true,
      sessions: counts.get(view.server) ?? 0,
    }))
  return [...configured, ...unconfigured]
}
