// What the drain phases share: the sessions on node-1 (the helper's fleet following
// transfers in `mode`, or unmodified @xmpp/client apps), then the real CLI drains it at
// `rate` (or with no pace flag: the default, --rate auto) while the sender sends; then what
// the CLI, its journal, its directory calls, the clients and the messages say.
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {TransferMode} from '../../src/client/index.js'
import type {TransferReport} from '../../src/engine/report.js'
import {type CliJournal, readCliJournal} from '../analysis/cli-journal.js'
import {type DirectoryLog, directoryPolls, directorySummary} from '../analysis/directory-polls.js'
import {gapStats, timeline} from '../analysis/fleet-figures.js'
import {countBy, largest, peakRate, r1, smallest, spread, sum, timeToShare} from '../analysis/stats.js'
import {parseTimeV} from '../analysis/time-v.js'
import type {PacedContext} from '../context.js'
import {measureApiCost} from '../lab/api-cost.js'
import {serviceOf, userName} from '../lab/lab-info.js'
import {startSampler} from '../lab/sampler.js'
import type {DrainFigures} from '../results.js'
import {DRAIN_NODE, SETTLE_MS} from '../settings.js'
import {cpuSince, cpuSnapshot} from '../steps/cpu.js'
import {ORDINARY_CAPS_NODE} from '../fleet/ordinary-clients.js'
import type {WorkerLog} from '../fleet/protocol.js'
import {crowdOnSource, fleetOnSource, ORDINARY_RECONNECT_DELAY_MS, stopFleet, waitFor} from '../steps/fleet-steps.js'
import {messageOutcome, startMessages, stopMessages} from '../steps/message-traffic.js'
import {type CliFiles, runCli} from '../steps/run-cli.js'

export interface DrainScenario {
  /** `auto`: no pace flag at all, the drain an operator gets without asking. */
  rate: number | 'auto'
  /** The phase's name: its work dir, its messages' tag, its directory-cost keys. */
  label: string
  mode?: TransferMode
  /** Who holds the sessions: the helper's fleet (default), or unmodified @xmpp/client apps. */
  population?: 'helper' | 'ordinary'
}

export async function runDrain(ctx: PacedContext, {rate, label, mode = 'make-before-break', population = 'helper'}: DrainScenario): Promise<DrainFigures> {
  const {lab, api, pool, settings, clock} = ctx
  const N = settings.users
  const ordinary = population === 'ordinary'
  const setup = ordinary ? await crowdOnSource(ctx, label) : await fleetOnSource(ctx, label, mode)
  ctx.result.directoryCost[`connected_users_info at ${N} sessions (${label})`] = await measureApiCost(lab, api, 'connected_users_info', {calls: 10})
  if (label === 'drain') {
    ctx.result.directoryCost[`user_sessions_info at ${N} sessions`] = await measureApiCost(lab, api, 'user_sessions_info', {
      calls: 20,
      args: {user: userName(1), host: lab.domain},
    })
    ctx.result.directoryCost[`stats onlineusersnode at ${N} sessions (the sampler, × 3 nodes)`] = await measureApiCost(lab, api, 'stats', {
      calls: 20,
      args: {name: 'onlineusersnode'},
    })
  }
  await clock.sleep(SETTLE_MS)
  await pool.all('collect', () => ({withStats: false})) // events start afresh

  const work = join(settings.work, label)
  mkdirSync(work, {recursive: true})
  const files: CliFiles = {
    report: join(work, 'report.json'),
    stderr: join(work, 'cli.stderr'),
    time: join(work, 'time-v.txt'),
    directory: join(work, 'directory-calls.json'),
    state: join(work, 'state'),
  }
  const pace = rate === 'auto' ? [] : ['--rate', String(rate)]
  const args = ['drain', DRAIN_NODE, '--yes', '--json', '--config', lab.config, ...pace, '--wait', `${settings.waitS}s`]
  ctx.say(`${label}: ./bin/run.js ${args.join(' ')}`)
  const sampler = startSampler(lab, api, {everyMs: settings.sampleMs, how: settings.sampler})
  const cpu0 = await cpuSnapshot(ctx)
  await startMessages(ctx, label)
  const cliOptions = {
    root: ctx.root,
    preload: ctx.preload,
    env: process.env,
    profileDir: settings.profile ? join(settings.work, 'prof', 'cli') : undefined,
    now: clock.now,
    say: ctx.say,
  }
  // The adaptive pace goes as fast as the cluster absorbs moves: on a busy 2-core machine that
  // was 3-7 a second (2026-12-02), so bound it as a fixed pace of 2 a second.
  const cli = await runCli(cliOptions, args, files, (N / (rate === 'auto' ? 2 : rate) + settings.waitS + 90) * 1000)
  const cliCpuEnd = await cpuSnapshot(ctx)
  // The CLI has seen every session elsewhere; the clients' own view must agree.
  const source = serviceOf(lab.nodes[0])
  const settled = ordinary
    ? await waitFor(ctx, (counts) => counts.online >= N && !counts.byService[source], 60_000)
    : await waitFor(ctx, (counts) => counts.transferred >= N, 30_000)
  // What node-1 still lists (a session waiting for its resumption counts): the ladder's target is 0.
  const leftOnSource = await countOnNode(ctx, 0)
  const sent = await stopMessages(ctx)
  const collected = await pool.all('collect')
  await clock.sleep(500)
  const samples = await sampler.stop()
  const cpu = cpuSince(cpu0, cliCpuEnd)
  await stopFleet(ctx)

  const report = readJson<TransferReport>(files.report)
  const journal = readCliJournal(files.state)
  const directory = readJson<DirectoryLog>(files.directory)
  const timeV = parseTimeV(files.time)
  const firstSent = journal.sendingAt.length ? smallest(journal.sendingAt) : null
  const lastSent = journal.sent.length ? largest(journal.sent.map((e) => e.at)) : null
  const moved = (report?.sessions ?? []).filter((row) => row.outcome === 'moved')
  const sentAtByJid = new Map(journal.sent.map((e) => [e.jid, e.at]))
  const trackedAt = moved.flatMap((row) => (sentAtByJid.has(row.jid) && row.latencyMs !== null ? [(sentAtByJid.get(row.jid) as number) + row.latencyMs] : []))
  const logs = collected.map((c) => c.log)
  // Each user's move: the helper's `transferred`; for ordinary clients their first rebind
  // after a move of the CLI's (a resumption or a new session), timed from that move.
  const transferred = ordinary ? reboundsAfterMoves(logs, journal.moves, lab.domain) : logs.flatMap((log) => log.transferred)
  const reboundAt = transferred.map(([, t]) => t)
  const stats = collected.flatMap((c) => c.stats)
  const nodeOfService = new Map(lab.nodes.map((node) => [serviceOf(node), node.name]))
  const fleetNode = new Map(stats.map((s) => [s.jid.split('/')[0], nodeOfService.get(s.currentService) ?? s.currentService]))
  const trackedRight = moved.filter((row) => row.reconnectedTo === fleetNode.get(row.jid.split('/')[0])).length
  const origin = firstSent ?? cli.startedAt
  const polls = directoryPolls(directory, journal, report)
  const messages = await messageOutcome(ctx, sent, logs, origin, label)
  // Node-1 empty: from then on it counts no user session (while the CLI runs, its admin's own
  // session is on node-1: `stats onlineusersnode` counts it).
  const samplesAfter = samples.filter((sample) => sample.t >= origin)
  const userSessions = (sample: (typeof samples)[number]) => (sample.counts[DRAIN_NODE] ?? 0) - (sample.t <= cli.endedAt ? 1 : 0)
  const firstEmpty = samplesAfter.findIndex((_, i) => samplesAfter.slice(i).every((later) => userSessions(later) <= 0))
  return {
    what: ordinary
      ? `xtransfer drain ${DRAIN_NODE} (${pace.length ? pace.join(' ') : 'no pace flag: --rate auto'}, default ladder) of ${N} unmodified @xmpp/client apps (stream management on, caps ${ORDINARY_CAPS_NODE}, own reconnect after ${ORDINARY_RECONNECT_DELAY_MS} ms to node-2/node-3), ${settings.workers} workers`
      : `xtransfer drain ${DRAIN_NODE} ${pace.length ? pace.join(' ') : '(no pace flag: --rate auto)'} of ${N} sessions (${mode} followers), ${settings.workers} fleet workers`,
    rate,
    mode: ordinary ? 'unmodified @xmpp/client' : mode,
    population,
    users: N,
    fleetSetup: setup,
    cli: {
      exitCode: cli.exitCode,
      timedOut: cli.timedOut,
      wallS: r1((cli.endedAt - cli.startedAt) / 1000),
      untilFirstPacketS: firstSent ? r1((firstSent - cli.startedAt) / 1000) : null,
      afterLastTrackedS: trackedAt.length ? r1((cli.endedAt - largest(trackedAt)) / 1000) : null,
      cpuS: timeV ? r1(timeV.userS + timeV.systemS) : directory ? r1(directory.userCpuS + directory.systemCpuS) : null,
      userCpuS: timeV?.userS ?? directory?.userCpuS ?? null,
      systemCpuS: timeV?.systemS ?? directory?.systemCpuS ?? null,
      peakRssMb: timeV ? r1(timeV.maxRssKb / 1024) : directory ? r1(directory.hwmMb) : null,
      peakRssSource: timeV ? '/usr/bin/time -v' : 'VmHWM',
    },
    sentS: firstSent && lastSent ? r1((lastSent - firstSent) / 1000) : null,
    packetsPerS: firstSent && lastSent && lastSent > firstSent ? r1((journal.sent.length - 1) / ((lastSent - firstSent) / 1000)) : null,
    // From the first packet: when the fleet's new sessions were bound.
    reconnected99S: r1(timeToShare(reboundAt, N, 0.99, origin)),
    reconnected100S: r1(timeToShare(reboundAt, N, 1, origin)),
    // From the first packet: when xtransfer saw them (packet sent + reported latency).
    tracked99S: r1(timeToShare(trackedAt, N, 0.99, origin)),
    tracked100S: r1(timeToShare(trackedAt, N, 1, origin)),
    peakReloginsPerS: peakRate(reboundAt),
    latencyMs: spread(moved.flatMap((row) => (row.latencyMs === null ? [] : [row.latencyMs]))),
    fleetMoveMs: spread(transferred.map(([, , ms]) => ms)),
    report: report ? {summary: report.summary, acks: countBy(report.sessions ?? [], (row) => String(row.ack)), error: report.error ?? null} : null,
    pace: report?.pace ?? [],
    runStartedAt: journal.runStartedAt,
    firstPacketAt: firstSent,
    // Moves started in each second from the first packet (every rung counts).
    startsPerS: perSecond(
      journal.moves.map((move) => move.at),
      origin,
    ),
    emptyS: firstEmpty < 0 ? null : r1((samplesAfter[firstEmpty].t - origin) / 1000),
    leftOnSource,
    resumed: sum(logs, (log) => log.resumed),
    trackedToRightNode: trackedRight,
    failedLogins: sum(logs, (log) => log.transferFailed.length) + sum(logs, (log) => log.loginFailed),
    failedLoginSample: logs
      .flatMap((log) => log.transferFailed.map(([user, t, message]) => `${user} at ${r1((t - (firstSent ?? cli.startedAt)) / 1000)} s: ${message}`))
      .slice(0, 5),
    clientLibraryCrashes: sum(logs, (log) => log.crashes),
    fleetSettled: settled,
    // Users the fleet did not see move, grouped by what their stats say.
    notMovedByFleet: countBy(
      stats.filter((s) => s.transfers === 0),
      (s) => `packets ${s.packetsReceived}, failed transfers ${s.failedTransfers}, online ${s.online}, last error: ${s.lastError ?? 'none'}`,
    ),
    offlineGapMs: gapStats(stats),
    messages,
    // Sessions at the end of the phase whose stream had XEP-0198 stream management enabled.
    withStreamManagement: sum(collected, (c) => c.streamManagement),
    directory: directorySummary(directory, polls),
    cpu,
    timeline: timeline(samples, origin),
    samplerFailures: sampler.failures,
    files: {...files},
  }
}

/** [user, rebound at, ms from the CLI's last move of it before then, to] for each user's first rebind after a move. */
function reboundsAfterMoves(logs: WorkerLog[], moves: CliJournal['moves'], domain: string): [string, number, number, string][] {
  const movesOf = new Map<string, number[]>()
  for (const move of moves) {
    const user = move.jid.split('@')[0]
    movesOf.set(user, [...(movesOf.get(user) ?? []), move.at])
  }
  const first = new Map<string, [string, number, number, string]>()
  for (const [user, t] of logs.flatMap((log) => log.rebound)) {
    const before = (movesOf.get(user) ?? []).filter((at) => at <= t)
    if (before.length === 0 || first.has(user)) continue
    first.set(user, [user, t, Math.round(t - largest(before)), domain])
  }
  return [...first.values()]
}

/** [second from origin, how many] for each whole second with events. */
function perSecond(times: number[], origin: number): [number, number][] {
  const bins = new Map<number, number>()
  for (const t of times) {
    const second = Math.floor((t - origin) / 1000)
    bins.set(second, (bins.get(second) ?? 0) + 1)
  }
  return [...bins].sort(([a], [b]) => a - b)
}

/** Sessions the node's own `stats onlineusersnode` counts now, or null if it did not answer. */
async function countOnNode(ctx: PacedContext, node: number): Promise<number | null> {
  try {
    const answer = (await ctx.api.call('stats', {name: 'onlineusersnode'}, {node})) as {stat?: number} | number
    return typeof answer === 'number' ? answer : (answer.stat ?? null)
  } catch {
    return null
  }
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return null
  }
}
