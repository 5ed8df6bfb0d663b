// Sessions per node over time, as the directory sees them. Two ways:
//  - 'stats' (default): `stats onlineusersnode` on each node's API at once — ejabberd's own
//    count of the sessions on that node. Costs ~3 authenticated calls per sample (~15–25 ms
//    of server CPU each) whatever the number of sessions.
//  - 'info': one `connected_users_info` (the listing xtransfer polls) — its cost grows with
//    the sessions in the cluster (~110–160 ms of server CPU at 2,000 sessions on the bench
//    machine), so sampling with it every 250 ms takes a large share of a 2-core machine
//    and more of it in the phases that hold more sessions.
// The next sample starts when the previous one has answered and the interval has passed,
// so a slow server stretches the interval (pollEvery).
import type {SamplerKind} from '../settings.js'
import type {AdminApi} from './admin-api.js'
import type {LabInfo} from './lab-info.js'
import {pollEvery} from './poll-every.js'

/** One sample: when (epoch ms, the middle of the call), how long the call took, sessions per node name. */
export interface NodeCountSample {
  t: number
  callMs: number
  counts: Record<string, number>
}

export interface Sampler {
  readonly failures: number
  stop(): Promise<NodeCountSample[]>
}

export function startSampler(lab: LabInfo, api: AdminApi, {everyMs = 250, how = 'stats'}: {everyMs?: number; how?: SamplerKind} = {}): Sampler {
  // The admin's own session (xtransfer's link) is not a user's.
  const skipPrefix = `${lab.adminJid}/`

  async function countPerNode(): Promise<Record<string, number>> {
    if (how === 'info') {
      const rows = (await api.call('connected_users_info', {}, {timeoutMs: 10_000})) as {jid?: string; node: string}[]
      const counts: Record<string, number> = Object.fromEntries(lab.nodes.map((n) => [n.name, 0]))
      for (const row of rows) {
        if (row.jid?.startsWith(skipPrefix)) continue
        const name = lab.nodeByServer.get(row.node) ?? row.node
        counts[name] = (counts[name] ?? 0) + 1
      }
      return counts
    }
    // A node that does not answer (stopped, in the stop-node phase) counts no session.
    const answers = await Promise.allSettled(lab.nodes.map((_, i) => api.call('stats', {name: 'onlineusersnode'}, {node: i, timeoutMs: 10_000})))
    const first = answers[0]
    if (answers.every((answer) => answer.status === 'rejected') && first?.status === 'rejected') throw first.reason
    return Object.fromEntries(
      lab.nodes.map((n, i) => {
        const answer = answers[i]
        return [n.name, answer.status === 'fulfilled' ? Number(answer.value?.stat ?? answer.value) : 0]
      }),
    )
  }

  const polling = pollEvery(countPerNode, everyMs)
  return {
    get failures() {
      return polling.failures
    },
    async stop() {
      return (await polling.stop()).map(({t, ms, value}) => ({t, callMs: ms, counts: value}))
    },
  }
}
