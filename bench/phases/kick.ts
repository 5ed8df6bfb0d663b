// Baseline: every session kicked through the HTTP API at once (kick_session, over the
// three nodes' APIs); unmodified @xmpp/client reconnect (1 s delay) to node-2/node-3.
import {r1} from '../analysis/stats.js'
import type {BenchContext} from '../context.js'
import {startSampler} from '../lab/sampler.js'
import {cpuSnapshot} from '../steps/cpu.js'
import {startMessages} from '../steps/message-traffic.js'
import {fleetReadyToReconnect, reconnectFigures} from './baseline.js'
import type {Phase} from './phase.js'

export const kick: Phase<'kick', BenchContext> = {
  name: 'kick',
  key: 'kick',
  async run(ctx) {
    const {lab, api, users, settings, clock} = ctx
    const N = settings.users
    const setup = await fleetReadyToReconnect(ctx, 'kick')
    ctx.say(`kick: kick_session × ${N} through the HTTP API (${settings.kickParallel} in parallel over the 3 nodes' APIs)`)
    const sampler = startSampler(lab, api, {everyMs: settings.sampleMs, how: settings.sampler})
    const cpu0 = await cpuSnapshot(ctx)
    await startMessages(ctx, 'kick')
    const kickStart = clock.now()
    const kicks = {ok: 0, failed: 0, sample: [] as string[], endedAt: 0}
    let next = 0
    await Promise.all(
      Array.from({length: Math.min(settings.kickParallel, N)}, async (_, lane) => {
        while (next < users.length) {
          const user = users[next++]
          try {
            await api.call('kick_session', {user, host: lab.domain, resource: 'rehearsal', reason: 'bench kick-all'}, {node: lane % lab.nodes.length})
            kicks.ok++
          } catch (error) {
            kicks.failed++
            if (kicks.sample.length < 5) kicks.sample.push(`${user}: ${(error as Error).message}`)
          }
        }
      }),
    )
    kicks.endedAt = clock.now()
    const comeBack = await reconnectFigures(ctx, {sampler, cpu0, origin: kickStart, tag: 'kick'})
    return {
      what: `kick_session × ${N} (HTTP API, ${settings.kickParallel} in parallel); unmodified @xmpp/client reconnect (1 s delay) to node-2/node-3`,
      users: N,
      fleetSetup: setup,
      kickS: r1((kicks.endedAt - kickStart) / 1000),
      kicksPerS: r1(kicks.ok / ((kicks.endedAt - kickStart) / 1000)),
      kickFailures: kicks.failed,
      kickFailureSample: kicks.sample,
      ...comeBack,
    }
  },
}
