// BENCH_VIEW_PROBE=1 (diagnosis): which node a cluster node's session table gives for
// some users, over time. ejabberd routes a message by the session table of the node the
// sender is on; the probe reads that node's copy (`connected_users_info` on its API) every
// `everyMs`, so a lost message can be set against where that node thought its receiver was
// (analysis/messages.ts). Costs the server one full listing per sample.
import type {AdminApi} from './admin-api.js'
import type {LabInfo} from './lab-info.js'
import {pollEvery} from './poll-every.js'

/** Where the probed node listed each user: a node name, or null for no session. */
export type ViewSample = [t: number, where: Record<string, string | null>]

export interface ViewProbeResult {
  samples: ViewSample[]
  failures: number
  /** The probed node's name. */
  node: string
}

export interface ViewProbe {
  stop(): Promise<ViewProbeResult>
}

export function startViewProbe(lab: LabInfo, api: AdminApi, {node = 1, everyMs = 500, users}: {node?: number; everyMs?: number; users: string[]}): ViewProbe {
  const wanted = new Set(users)
  const polling = pollEvery(async () => {
    const rows = (await api.call('connected_users_info', {}, {node, timeoutMs: 10_000})) as {jid?: string; node: string}[]
    const where: Record<string, string | null> = Object.fromEntries(users.map((user) => [user, null]))
    for (const row of rows) {
      const user = row.jid?.split('@')[0]
      if (user !== undefined && wanted.has(user)) where[user] = lab.nodeByServer.get(row.node) ?? row.node
    }
    return where
  }, everyMs)
  return {
    async stop() {
      const samples = (await polling.stop()).map(({t, value}): ViewSample => [t, value])
      return {samples, failures: polling.failures, node: lab.nodes[node].name}
    },
  }
}
