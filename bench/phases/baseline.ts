// What the two baselines (kick-all, stop the node) share: unmodified @xmpp/client apps on
// node-1 with their own reconnect, pointed at node-2 or node-3; after the blow, until
// everybody is back, then what the clients and the messages saw.
import {gapStats, timeline} from '../analysis/fleet-figures.js'
import {countBy, meanRate, peakRate, r1, sum, timeToShare} from '../analysis/stats.js'
import type {BenchContext} from '../context.js'
import type {Sampler} from '../lab/sampler.js'
import type {ComeBackFigures, FleetSetup} from '../results.js'
import {SETTLE_MS} from '../settings.js'
import {type CpuSnapshot, cpuSince, cpuSnapshot} from '../steps/cpu.js'
import {crowdOnSource, stopFleet, waitFor} from '../steps/fleet-steps.js'
import {messageOutcome, stopMessages} from '../steps/message-traffic.js'

/**
 * The same unmodified @xmpp/client apps as the ordinary drain (fleet/ordinary-clients.ts),
 * on node-1, each reconnecting by itself 1 s after a disconnect to node-2 or node-3. (Before
 * 2026-12-02 the baselines ran the helper's fleet with the library's reconnect armed: the
 * same library and delay, but with the helper's stream-management guard.)
 */
export async function fleetReadyToReconnect(ctx: BenchContext, label: string): Promise<FleetSetup> {
  const setup = await crowdOnSource(ctx, label)
  await ctx.clock.sleep(SETTLE_MS)
  await ctx.pool.all('collect', () => ({withStats: false}))
  return setup
}

export interface BlowStruck {
  sampler: Sampler
  cpu0: CpuSnapshot
  /** The phase's t = 0: the first kick, or the stop. */
  origin: number
  /** The messages' tag. */
  tag: string
  /** A node whose API answers afterwards (node-1 may be down). */
  apiNode?: number
}

export async function reconnectFigures(ctx: BenchContext, {sampler, cpu0, origin, tag, apiNode = 0}: BlowStruck): Promise<ComeBackFigures> {
  const {pool} = ctx
  const N = ctx.settings.users
  const back = await waitFor(ctx, (counts) => counts.rebound >= N, Math.max(120_000, N * 30))
  const sent = await stopMessages(ctx)
  const cpu = cpuSince(cpu0, await cpuSnapshot(ctx))
  const collected = await pool.all('collect')
  await ctx.clock.sleep(500)
  const samples = await sampler.stop()
  await stopFleet(ctx, apiNode)
  const logs = collected.map((c) => c.log)
  const messages = await messageOutcome(ctx, sent, logs, origin, tag, apiNode)

  const rebound = logs.flatMap((log) => log.rebound)
  const firstBack = new Map<string, number>()
  for (const [user, t] of rebound) if (!firstBack.has(user) || t < (firstBack.get(user) as number)) firstBack.set(user, t)
  const backAt = [...firstBack.values()]
  const attempts = sum(logs, (log) => log.reconnecting.length)
  const stats = collected.flatMap((c) => c.stats)
  return {
    back99S: r1(timeToShare(backAt, N, 0.99, origin)),
    back100S: r1(timeToShare(backAt, N, 1, origin)),
    backOnline: firstBack.size,
    allBack: back,
    peakLoginsPerS: peakRate(backAt),
    meanLoginsPerS: r1(meanRate(backAt)),
    reconnectAttempts: attempts,
    // A reconnect attempt that did not end bound (the next attempt, or none, followed).
    failedLogins: Math.max(0, attempts - rebound.length),
    // Errors on the clients other than a kick's <conflict/> (the stream's socket reset, failed attempts).
    clientErrors: sum(logs, (log) => log.reconnectErrors),
    clientErrorSample: logs.flatMap((log) => log.reconnectErrorSample).slice(0, 5),
    clientLibraryCrashes: sum(logs, (log) => log.crashes),
    clientLibraryCrashSample: logs.flatMap((log) => log.crashSample).slice(0, 2),
    offlineGapMs: gapStats(stats),
    messages,
    withStreamManagement: sum(collected, (c) => c.streamManagement),
    byNodeAfter: countBy(
      stats.filter((s) => s.online),
      (s) => s.currentService,
    ),
    cpu,
    timeline: timeline(samples, origin),
    samplerFailures: sampler.failures,
  }
}
