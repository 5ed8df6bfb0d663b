// BENCH_VIEW_PROBE=1 (diagnosis): which node a cluster node's session table gives for
// some users, over time. ejabberd routes a message by the session table of the node the
// sender is on; the probe reads that node's copy (`connected_users_info` on its API) every
// `everyMs`, so a lost message can be set against where that node thought its receiver was.
// Costs the server one full listing per sample.
import {pollEvery} from './poll-every.mjs'

export function startViewProbe(lab, api, {node = 1, everyMs = 500, users}) {
  const wanted = new Set(users)
  const polling = pollEvery(async () => {
    const rows = await api.call('connected_users_info', {}, {node, timeoutMs: 10_000})
    const where = Object.fromEntries(users.map((user) => [user, null]))
    for (const row of rows) {
      const user = row.jid?.split('@')[0]
      if (wanted.has(user)) where[user] = lab.nodeByServer.get(row.node) ?? row.node
    }
    return where
  }, everyMs)
  return {
    /** samples: [t, {user: node name | null}] */
    async stop() {
      const samples = (await polling.stop()).map(({t, value}) => [t, value])
      return {samples, failures: polling.failures, node: lab.nodes[node].name}
    },
  }
}

/** Where the probed node listed `user` in the last sample taken before `at` (undefined: no sample). */
export function listedBefore(view, user, at) {
  const sample = view.samples.findLast(([t]) => t <= at)
  return sample ? sample[1][user] : undefined
}

/**
 * How long the probed node kept listing users on `oldNode` after their session there had
 * ended (`endedAt`: user → when the user's client saw it end). Each sample after the end
 * that still lists the user there counts, with its delay.
 */
export function staleListings(view, endedAt, oldNode) {
  let after = 0
  const staleMs = []
  for (const [t, where] of view.samples) {
    for (const [user, node] of Object.entries(where)) {
      const end = endedAt.get(user)
      if (end === undefined || t <= end) continue
      after++
      if (node === oldNode) staleMs.push(t - end)
    }
  }
  return {listingsAfterTheEnd: after, stillOnTheOldNode: staleMs.length, staleMs}
}
