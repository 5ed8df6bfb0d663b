// npm run bench (through bench/run.sh, which builds xtransfer and starts the bench's own
// lab): the login floor, xtransfer's drain of N sessions, and the kick-all baseline, on
// the 3-node lab with a rehearsal fleet spread over worker processes. Prints a table,
// writes bench/results/<date>-<N>.json and the sessions-per-node picture.
// Settings: see docs/performance.md ("Settings").
import {spawn} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, totalmem} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {measureAnonymousCost, measureApiCost} from './lib/api-cost.mjs'
import {startPool} from './lib/fleet-pool.mjs'
import {adminApi, cpuDelta, labInfo, machineCpu, round, serverCpu, userName} from './lib/lab.mjs'
import {summarizeProfiles} from './lib/cpuprofile.mjs'
import {renderMarkdown} from './lib/markdown.mjs'
import {renderTimeline} from './lib/plot.mjs'
import {startSampler} from './lib/sampler.mjs'
import {meanRate, peakRate, r1, spread, timeToShare} from './lib/stats.mjs'
import {renderTable, renderTargets} from './lib/table.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const env = process.env
const int = (name, fallback) => {
  const value = env[name]
  if (value === undefined || value === '') return fallback
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number (got '${value}')`)
  return Number(value)
}

const N = int('BENCH_USERS', 2000)
const WORKERS = int('BENCH_WORKERS', Math.max(2, Math.ceil(N / 1000)))
const PARALLELISM = int('BENCH_PARALLELISM', 16)
const SAMPLE_MS = int('BENCH_SAMPLE_MS', 250)
const SAMPLER = env.BENCH_SAMPLER || 'stats'
const KICK_PARALLEL = int('BENCH_KICK_PARALLEL', 48)
const FIXED_RATE = int('BENCH_RATE', 0)
const RATE_FACTOR = Number(env.BENCH_RATE_FACTOR || 0.9)
const DEFAULT_RATE = 50
const WAIT_S = int('BENCH_WAIT', 60)
const PROFILE = env.BENCH_PROFILE === '1'
const PHASES = (env.BENCH_PHASES || 'floor,drain,drain-default,kick').split(',').map((p) => p.trim())
const LAB_DIR = env.XTRANSFER_LAB_DIR
const OUT = resolve(env.BENCH_OUT || join(ROOT, 'bench', 'results'))
const WORK = resolve(env.BENCH_WORK || '/tmp/xtransfer-bench-work')
const SETTLE_MS = 2000 // > the helper's minSessionAge (1.05 s): no move waits for ejabberd's tie-break
const DRAIN_NODE = 'node-1'

const now = () => performance.timeOrigin + performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const say = (text) => process.stderr.write(`[bench] ${text}\n`)

async function main() {
  if (!LAB_DIR) throw new Error('XTRANSFER_LAB_DIR is not set (run through bench/run.sh)')
  if (!existsSync(join(ROOT, 'dist', 'fleet', 'index.js'))) throw new Error('dist/ is missing: npm run build first')
  const lab = labInfo(LAB_DIR)
  if (lab.users < N) throw new Error(`the lab has ${lab.users} users, the bench needs ${N} (LAB_USERS)`)
  prepareWork()
  const api = adminApi(lab)
  const date = new Date()
  const result = {
    date: date.toISOString(),
    machine: {cores: cpus().length, cpuModel: cpus()[0]?.model ?? null, memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version, loadAvgAtStart: loadavg().map((v) => round(v, 2))},
    settings: {users: N, workers: WORKERS, parallelismPerWorker: PARALLELISM, sampleMs: SAMPLE_MS, sampler: SAMPLER, kickParallel: KICK_PARALLEL, waitS: WAIT_S, profile: PROFILE, phases: PHASES,
      lab: {nodes: lab.nodes.map(({name, server, c2s, api: url}) => ({name, server, c2s, api: url}))}},
    directoryCost: {},
    phases: {},
  }
  say(`N=${N} users, ${WORKERS} fleet workers × parallelism ${PARALLELISM}, lab ${LAB_DIR}`)
  await waitEmpty(api)

  say('directory cost at idle (authenticated vs refused calls)')
  result.directoryCost.idle = [
    await measureAnonymousCost(lab, 'connected_users_number', {calls: 60}),
    await measureApiCost(lab, api, 'connected_users_number', {calls: 60}),
    await measureApiCost(lab, api, 'user_sessions_info', {calls: 60, args: {user: userName(1), host: lab.domain}}),
  ]

  const execArgv = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(WORK, 'prof', 'fleet')}`] : []
  const pool = await startPool(WORKERS, {execArgv})
  const users = Array.from({length: N}, (_, i) => userName(i + 1))
  const slices = Array.from({length: WORKERS}, (_, w) => users.filter((_, i) => i % WORKERS === w))
  const ctx = {lab, api, pool, users, slices, result}
  mkdirSync(OUT, {recursive: true})
  const stem = `${date.toISOString().slice(0, 10)}-${N}`
  const jsonPath = join(OUT, `${stem}.json`)
  // After each phase: a run that fails later keeps what it measured.
  const save = () => writeFileSync(jsonPath, JSON.stringify(result, null, 1) + '\n')
  try {
    if (PHASES.includes('floor')) result.phases.floor = await phaseFloor(ctx)
    save()
    const floorRate = result.phases.floor?.loginsPerS
    // A move costs the servers more than a fresh login (the old session's replacement on the
    // source, the admin's packet, xtransfer's directory polls): pacing at the full floor
    // queues logins on the targets past @xmpp/client's 2 s stream-open timeout.
    const rate = FIXED_RATE || (floorRate ? Math.max(1, Math.floor(floorRate * RATE_FACTOR)) : DEFAULT_RATE)
    result.settings.rate = {chosen: rate, why: FIXED_RATE ? 'BENCH_RATE' : floorRate ? `${RATE_FACTOR} × the measured floor (${floorRate} logins/s)` : 'no floor measured: the default'}
    if (PHASES.includes('drain')) result.phases.drain = await phaseDrain(ctx, rate, 'drain')
    save()
    if (PHASES.includes('drain-default') && rate !== DEFAULT_RATE) result.phases.drainDefault = await phaseDrain(ctx, DEFAULT_RATE, 'drain-default')
    save()
    if (PHASES.includes('kick')) result.phases.kick = await phaseKick(ctx)
  } finally {
    await pool.all('stop', () => ({}), 60_000).catch(() => {})
    await pool.close()
  }
  if (PROFILE) result.profiles = summarizeProfiles(join(WORK, 'prof'))
  result.targets = judgeTargets(result)

  save()
  writeFileSync(join(OUT, `${stem}.md`), renderMarkdown(result) + '\n')
  const svgPath = join(OUT, `${stem}-drain.svg`)
  const svg = await renderTimeline(result)
  if (svg) {
    writeFileSync(svgPath, svg)
    copyFileSync(svgPath, join(ROOT, 'docs', 'performance-drain.svg'))
  }
  process.stdout.write(renderTable(result) + '\n' + renderTargets(result) + '\n')
  if (result.profiles) process.stdout.write(result.profiles.text + '\n')
  process.stdout.write(`\nresults: ${jsonPath} (and .md)\npicture: ${svg ? `${svgPath} (copied to docs/performance-drain.svg)` : 'none (no timeline)'}\nraw files: ${WORK}\n`)
}

// --- phases ---------------------------------------------------------------------------

/** Fresh PLAIN logins of the same users, same client code, same workers and parallelism, spread over the drain's targets. */
async function phaseFloor(ctx) {
  const {lab, pool, slices} = ctx
  say(`floor: ${N} fresh logins over node-2 and node-3`)
  const targets = lab.nodes.slice(1).map((node) => `xmpp://127.0.0.1:${node.c2s}`)
  const sampler = startSampler(lab, ctx.api, {everyMs: SAMPLE_MS, how: SAMPLER})
  const cpu0 = await cpuSnapshot(ctx)
  const goAt = now()
  const logins = await pool.all('login', (w) => ({
    ...fleetBasics(lab),
    groups: targets.map((service, k) => ({service, users: slices[w].filter((_, i) => i % targets.length === k)})),
  }), loginTimeoutMs())
  const doneAt = Math.max(...logins.map((login) => login.endedAt))
  const cpu = cpuSince(cpu0, await cpuSnapshot(ctx))
  const collected = await pool.all('collect')
  await sleep(500)
  const samples = await sampler.stop()
  await stopFleet(ctx)
  const onlineAt = collected.flatMap((c) => c.log.online.map(([t]) => t))
  const loginMs = collected.flatMap((c) => c.log.online.map(([, ms]) => ms))
  const failures = logins.flatMap((login) => login.failures)
  const seconds = (doneAt - goAt) / 1000
  return {
    what: `${N} fresh PLAIN logins (startFleet) over ${targets.length} nodes, ${WORKERS} workers × parallelism ${PARALLELISM}`,
    users: N,
    online: onlineAt.length,
    timeS: r1(seconds),
    online99S: r1(timeToShare(onlineAt, N, 0.99, goAt)),
    loginsPerS: r1(onlineAt.length / seconds),
    peakLoginsPerS: peakRate(onlineAt),
    loginMs: spread(loginMs),
    failedLogins: sum(collected, (c) => c.log.loginFailed),
    failedLoginSample: collected.flatMap((c) => c.log.loginErrors).slice(0, 5),
    fleetStartFailures: failures,
    cpu,
    timeline: timeline(samples, goAt),
    samplerFailures: sampler.failures,
  }
}

/** The fleet on node-1, then the real CLI drains it at `rate`. */
async function phaseDrain(ctx, rate, label) {
  const {lab, api, pool, slices} = ctx
  const setup = await fleetOnSource(ctx, label)
  ctx.result.directoryCost[`connected_users_info at ${N} sessions (${label})`] = await measureApiCost(lab, api, 'connected_users_info', {calls: 10})
  if (label === 'drain') {
    ctx.result.directoryCost[`user_sessions_info at ${N} sessions`] = await measureApiCost(lab, api, 'user_sessions_info', {calls: 20, args: {user: userName(1), host: lab.domain}})
    ctx.result.directoryCost[`stats onlineusersnode at ${N} sessions (the sampler, × 3 nodes)`] = await measureApiCost(lab, api, 'stats', {calls: 20, args: {name: 'onlineusersnode'}})
  }
  await sleep(SETTLE_MS)
  await pool.all('collect', () => ({withStats: false})) // events start afresh

  const work = join(WORK, label)
  mkdirSync(work, {recursive: true})
  const files = {report: join(work, 'report.json'), stderr: join(work, 'cli.stderr'), time: join(work, 'time-v.txt'), directory: join(work, 'directory-calls.json'), state: join(work, 'state')}
  const args = ['drain', DRAIN_NODE, '--yes', '--json', '--config', lab.config, '--rate', String(rate), '--wait', `${WAIT_S}s`]
  say(`${label}: ./bin/run.js ${args.join(' ')}`)
  const sampler = startSampler(lab, api, {everyMs: SAMPLE_MS, how: SAMPLER})
  const cpu0 = await cpuSnapshot(ctx)
  const cli = await runCli(args, files, (N / rate + WAIT_S + 90) * 1000)
  const cliCpuEnd = await cpuSnapshot(ctx)
  // The CLI has seen every session elsewhere; the fleet's own view must agree.
  const settled = await waitFor(ctx, (counts) => counts.transferred >= N, 30_000)
  const collected = await pool.all('collect')
  await sleep(500)
  const samples = await sampler.stop()
  const cpu = cpuSince(cpu0, cliCpuEnd)
  await stopFleet(ctx)

  const report = readJson(files.report)
  const journal = readJournal(files.state)
  const directory = readJson(files.directory)
  const timeV = parseTimeV(files.time)
  const firstSent = journal.sending.length ? Math.min(...journal.sending.map((e) => e.at)) : null
  const lastSent = journal.sent.length ? Math.max(...journal.sent.map((e) => e.at)) : null
  const moved = (report?.sessions ?? []).filter((row) => row.outcome === 'moved')
  const sentAtByJid = new Map(journal.sent.map((e) => [e.jid, e.at]))
  const trackedAt = moved.flatMap((row) => (sentAtByJid.has(row.jid) && row.latencyMs !== null ? [sentAtByJid.get(row.jid) + row.latencyMs] : []))
  const transferred = collected.flatMap((c) => c.log.transferred)
  const reboundAt = transferred.map(([, t]) => t)
  const stats = collected.flatMap((c) => c.stats)
  const nodeOfService = new Map(lab.nodes.map((node) => [`xmpp://127.0.0.1:${node.c2s}`, node.name]))
  const fleetNode = new Map(stats.map((s) => [s.jid.split('/')[0], nodeOfService.get(s.currentService) ?? s.currentService]))
  const trackedRight = moved.filter((row) => row.reconnectedTo === fleetNode.get(row.jid.split('/')[0])).length
  const origin = firstSent ?? cli.startedAt
  const polls = directoryPolls(directory, journal, report)
  return {
    what: `xtransfer drain ${DRAIN_NODE} --rate ${rate} of ${N} sessions (make-before-break followers), ${WORKERS} fleet workers`,
    rate,
    users: N,
    fleetSetup: setup,
    cli: {
      exitCode: cli.exitCode,
      timedOut: cli.timedOut,
      wallS: r1((cli.endedAt - cli.startedAt) / 1000),
      untilFirstPacketS: firstSent ? r1((firstSent - cli.startedAt) / 1000) : null,
      afterLastTrackedS: trackedAt.length ? r1((cli.endedAt - Math.max(...trackedAt)) / 1000) : null,
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
    report: report ? {summary: report.summary, acks: countBy(report.sessions ?? [], (row) => row.ack), error: report.error ?? null} : null,
    trackedToRightNode: trackedRight,
    failedLogins: sum(collected, (c) => c.log.transferFailed.length) + sum(collected, (c) => c.log.loginFailed),
    failedLoginSample: collected.flatMap((c) => c.log.transferFailed.map(([user, t, message]) => `${user} at ${r1((t - (firstSent ?? cli.startedAt)) / 1000)} s: ${message}`)).slice(0, 5),
    clientLibraryCrashes: sum(collected, (c) => c.log.crashes),
    fleetSettled: settled,
    // Users the fleet did not see move, grouped by what their stats say.
    notMovedByFleet: countBy(stats.filter((s) => s.transfers === 0), (s) => `packets ${s.packetsReceived}, failed transfers ${s.failedTransfers}, online ${s.online}, last error: ${s.lastError ?? 'none'}`),
    offlineGapMs: gapStats(stats),
    directory: directorySummary(directory, polls),
    cpu,
    timeline: timeline(samples, origin),
    samplerFailures: sampler.failures,
    files: Object.fromEntries(Object.entries(files).map(([key, path]) => [key, path])),
  }
}

/** The fleet on node-1 with reconnect on, pointed at node-2/3; every session kicked through the HTTP API at once. */
async function phaseKick(ctx) {
  const {lab, api, pool, users} = ctx
  const setup = await fleetOnSource(ctx, 'kick')
  await sleep(SETTLE_MS)
  const targets = lab.nodes.slice(1)
  const serviceOf = Object.fromEntries(users.map((user, i) => [user, `xmpp://127.0.0.1:${targets[i % targets.length].c2s}`]))
  await pool.all('armReconnect', () => ({serviceOf}))
  await pool.all('collect', () => ({withStats: false}))
  say(`kick: kick_session × ${N} through the HTTP API (${KICK_PARALLEL} in parallel over the 3 nodes' APIs)`)
  const sampler = startSampler(lab, api, {everyMs: SAMPLE_MS, how: SAMPLER})
  const cpu0 = await cpuSnapshot(ctx)
  const kickStart = now()
  const kicks = {ok: 0, failed: 0, sample: [], endedAt: 0}
  let next = 0
  await Promise.all(Array.from({length: Math.min(KICK_PARALLEL, N)}, async (_, lane) => {
    while (next < users.length) {
      const user = users[next++]
      try {
        await api.call('kick_session', {user, host: lab.domain, resource: 'rehearsal', reason: 'bench kick-all'}, {node: lane % lab.nodes.length})
        kicks.ok++
      } catch (error) {
        kicks.failed++
        if (kicks.sample.length < 5) kicks.sample.push(`${user}: ${error.message}`)
      }
    }
  }))
  kicks.endedAt = now()
  const back = await waitFor(ctx, (counts) => counts.rebound >= N, Math.max(120_000, N * 30))
  const cpu = cpuSince(cpu0, await cpuSnapshot(ctx))
  const collected = await pool.all('collect')
  await sleep(500)
  const samples = await sampler.stop()
  await stopFleet(ctx)

  const rebound = collected.flatMap((c) => c.log.rebound)
  const firstBack = new Map()
  for (const [user, t] of rebound) if (!firstBack.has(user) || t < firstBack.get(user)) firstBack.set(user, t)
  const backAt = [...firstBack.values()]
  const attempts = sum(collected, (c) => c.log.reconnecting.length)
  const stats = collected.flatMap((c) => c.stats)
  return {
    what: `kick_session × ${N} (HTTP API, ${KICK_PARALLEL} in parallel); unmodified @xmpp/client reconnect (1 s delay) to node-2/node-3`,
    users: N,
    fleetSetup: setup,
    kickS: r1((kicks.endedAt - kickStart) / 1000),
    kicksPerS: r1(kicks.ok / ((kicks.endedAt - kickStart) / 1000)),
    kickFailures: kicks.failed,
    kickFailureSample: kicks.sample,
    back99S: r1(timeToShare(backAt, N, 0.99, kickStart)),
    back100S: r1(timeToShare(backAt, N, 1, kickStart)),
    backOnline: firstBack.size,
    allBack: back,
    peakLoginsPerS: peakRate(backAt),
    meanLoginsPerS: r1(meanRate(backAt)),
    reconnectAttempts: attempts,
    // A reconnect attempt that did not end bound (the next attempt, or none, followed).
    failedLogins: Math.max(0, attempts - rebound.length),
    // Errors on the clients other than the kick's <conflict/> (the kicked stream's socket reset, failed attempts).
    clientErrors: sum(collected, (c) => c.log.reconnectErrors),
    clientErrorSample: collected.flatMap((c) => c.log.reconnectErrorSample).slice(0, 5),
    clientLibraryCrashes: sum(collected, (c) => c.log.crashes),
    clientLibraryCrashSample: collected.flatMap((c) => c.log.crashSample).slice(0, 2),
    offlineGapMs: gapStats(stats),
    byNodeAfter: countBy(stats.filter((s) => s.online), (s) => s.currentService),
    cpu,
    timeline: timeline(samples, kickStart),
    samplerFailures: sampler.failures,
  }
}

// --- fleet helpers --------------------------------------------------------------------

function fleetBasics(lab) {
  return {password: lab.userPassword, domain: lab.domain, parallelism: PARALLELISM, mode: 'make-before-break', trustedAdmins: [lab.adminJid], loginTimeout: 30_000}
}

function loginTimeoutMs() {
  return 60_000 + N * 50 // 20 logins/s at the worst
}

async function fleetOnSource(ctx, label) {
  const {lab, pool, slices} = ctx
  const service = `xmpp://127.0.0.1:${lab.nodes[0].c2s}`
  say(`${label}: fleet of ${N} logs in on ${DRAIN_NODE}`)
  const started = now()
  const logins = await pool.all('login', (w) => ({...fleetBasics(lab), groups: [{service, users: slices[w]}]}), loginTimeoutMs())
  const failures = logins.flatMap((login) => login.failures)
  if (failures.length) throw new Error(`${label}: the fleet could not log in on ${DRAIN_NODE}: ${failures.join('; ').slice(0, 500)}`)
  const seconds = (Math.max(...logins.map((login) => login.endedAt)) - started) / 1000
  return {timeS: r1(seconds), loginsPerS: r1(N / seconds)}
}

async function stopFleet(ctx) {
  await ctx.pool.all('stop', () => ({}), 60_000)
  await waitEmpty(ctx.api)
}

/** Polls the workers' counts until `done(totals)` or the time runs out; says which. */
async function waitFor(ctx, done, ms) {
  const deadline = now() + ms
  for (;;) {
    const counts = await ctx.pool.all('counts')
    const totals = {online: sum(counts, (c) => c.online), transferred: sum(counts, (c) => c.transferred), rebound: sum(counts, (c) => c.rebound)}
    if (done(totals)) return true
    if (now() > deadline) {
      say(`gave up waiting after ${Math.round(ms / 1000)} s: ${JSON.stringify(totals)}`)
      return false
    }
    await sleep(250)
  }
}

/** Until the cluster lists no user session (the admin's own aside); bounded. */
async function waitEmpty(api, ms = 90_000) {
  const deadline = now() + ms
  for (;;) {
    const rows = await api.call('connected_users_info').catch(() => null)
    const left = rows ? rows.filter((row) => !row.jid.startsWith('admin@')).length : -1
    if (left === 0) return
    if (now() > deadline) {
      say(`warning: ${left} sessions still listed after ${ms / 1000} s`)
      return
    }
    await sleep(500)
  }
}

// --- measurements ---------------------------------------------------------------------

async function cpuSnapshot(ctx) {
  const counts = await ctx.pool.all('counts')
  return {
    at: now(),
    server: serverCpu(ctx.lab),
    fleet: sum(counts, (c) => (c.cpu.user + c.cpu.system) / 1e6),
    fleetRssMb: counts.map((c) => Math.round(c.memory.rssMb)),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    machine: machineCpu(),
  }
}

/** CPU seconds each part used between two snapshots; the CLI's comes from its own measurement. */
function cpuSince(a, b) {
  const wall = (b.at - a.at) / 1000
  return {
    wallS: r1(wall),
    serverS: cpuDelta(a.server, b.server),
    fleetS: r1(b.fleet - a.fleet),
    benchS: r1(b.bench - a.bench),
    machineBusyS: r1(b.machine.busy - a.machine.busy),
    machineIdleS: r1(b.machine.idle - a.machine.idle),
    fleetRssMb: b.fleetRssMb,
  }
}

function gapStats(stats) {
  const gaps = stats.map((s) => s.offlineMs)
  const withGap = stats.filter((s) => s.gaps > 0).length
  return {...spread(gaps), usersWithGap: withGap}
}

function timeline(samples, origin) {
  return samples.map((s) => ({t: round((s.t - origin) / 1000, 2), ...s.counts, callMs: s.callMs}))
}

/** Every directory call of the CLI, with the sessions still pending when it was made. */
function directoryPolls(directory, journal, report) {
  if (!directory) return []
  const sent = journal.sent.map((e) => e.at).sort((a, b) => a - b)
  const sentAtByJid = new Map(journal.sent.map((e) => [e.jid, e.at]))
  const settledAt = (report?.sessions ?? []).flatMap((row) => (row.outcome === 'moved' && row.latencyMs !== null && sentAtByJid.has(row.jid) ? [sentAtByJid.get(row.jid) + row.latencyMs] : [])).sort((a, b) => a - b)
  const countUntil = (sorted, t) => {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (sorted[mid] <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  return directory.calls.map((call) => ({...call, pending: countUntil(sent, call.at) - countUntil(settledAt, call.at)}))
}

function directorySummary(directory, polls) {
  if (!directory) return null
  const byCommand = {}
  for (const call of directory.calls) {
    const entry = (byCommand[call.command] ??= {calls: 0, bytes: 0, ms: 0})
    entry.calls++
    entry.bytes += call.bytes
    entry.ms += call.ms
  }
  const watching = polls.filter((p) => p.pending > 0)
  const listings = watching.filter((p) => p.command === 'connected_users_info')
  const perUser = watching.filter((p) => p.command === 'user_sessions_info')
  return {
    calls: directory.calls.length,
    bytes: sum(directory.calls, (c) => c.bytes),
    byCommand,
    whileWatching: {
      listings: listings.length,
      listingBytesPerCall: listings.length ? Math.round(sum(listings, (p) => p.bytes) / listings.length) : null,
      listingMsPerCall: listings.length ? Math.round(sum(listings, (p) => p.ms) / listings.length) : null,
      pendingAtListings: listings.length ? {max: Math.max(...listings.map((p) => p.pending)), min: Math.min(...listings.map((p) => p.pending))} : null,
      bytesPerPendingAtLastListing: listings.length ? Math.round(listings.at(-1).bytes / Math.max(1, listings.at(-1).pending)) : null,
      perUserCalls: perUser.length,
    },
    polls: polls.map((p) => [Math.round(p.at), p.command, p.bytes, p.ms, p.pending]),
    pollsFormat: ['at', 'command', 'bytes', 'ms', 'pending'],
  }
}

function judgeTargets(result) {
  const {floor, drain, drainDefault, kick} = result.phases
  const targets = []
  if (floor && drain) {
    const ratio = drain.cli.wallS / floor.timeS
    const complete = drain.report?.summary.moved === N
    const why = complete ? '' : ` — but the run did not move every session (moved ${drain.report?.summary.moved ?? '?'}${drain.report?.error ? `; stopped: ${drain.report.error}` : ''})`
    const tail = drain.reconnected100S === null ? '' : `; first packet to 100 % reconnected: ${drain.reconnected100S} s = ${(drain.reconnected100S / floor.timeS).toFixed(2)}×`
    targets.push({target: 'drain wall time ≤ 1.3 × floor time (same N)', value: `${drain.cli.wallS} s / ${floor.timeS} s = ${ratio.toFixed(2)}× (CLI start to exit at --rate ${drain.rate}${tail})${why}`, met: complete && ratio <= 1.3})
  }
  for (const run of [drain, drainDefault].filter(Boolean)) {
    targets.push({target: `100 % of sessions tracked to their new node (--rate ${run.rate})`, value: `${run.trackedToRightNode} / ${N} (moved ${run.report?.summary.moved ?? '?'})`, met: run.trackedToRightNode === N})
  }
  const atDefault = drainDefault ?? (drain?.rate === 50 ? drain : null)
  if (atDefault) targets.push({target: 'zero failed logins at the default pace (--rate 50)', value: String(atDefault.failedLogins), met: atDefault.failedLogins === 0})
  if (drain) {
    const rss = Math.max(...[drain, drainDefault].filter(Boolean).map((run) => run.cli.peakRssMb))
    targets.push({target: 'xtransfer peak RSS ≤ 150 MB at 5,000 sessions', value: `${rss} MB at ${N} sessions`, met: N >= 5000 ? rss <= 150 : null})
    const w = drain.directory?.whileWatching
    if (w) {
      const proportional = w.listings === 0
      targets.push({target: 'directory work per poll proportional to sessions still pending',
        value: `${w.listings} listings of the whole cluster (~${w.listingBytesPerCall} bytes each, pending ${w.pendingAtListings?.min}–${w.pendingAtListings?.max}) + ${w.perUserCalls} per-user calls`, met: proportional})
    }
  }
  if (kick && drain) targets.push({target: '(context) kick-all: time to 100 % back vs drain', value: `${kick.back100S} s, ${kick.failedLogins} failed logins, gap p50 ${kick.offlineGapMs.p50} ms`, met: null})
  return targets
}

// --- the CLI --------------------------------------------------------------------------

/** ./bin/run.js under /usr/bin/time -v (when there), with the directory counter preloaded; bounded. */
function runCli(args, files, timeoutMs) {
  const preload = join(ROOT, 'bench', 'lib', 'count-directory.mjs')
  const nodeOptions = [env.NODE_OPTIONS ?? '', `--import=${preload}`]
  const childEnv = {...env, NODE_OPTIONS: nodeOptions.join(' ').trim(), BENCH_DIRECTORY_LOG: files.directory, XTRANSFER_STATE_DIR: files.state}
  // --cpu-prof is refused in NODE_OPTIONS: with BENCH_PROFILE=1, node runs bin/run.js itself.
  const bin = PROFILE ? [process.execPath, '--cpu-prof', `--cpu-prof-dir=${join(WORK, 'prof', 'cli')}`, join(ROOT, 'bin', 'run.js')] : [join(ROOT, 'bin', 'run.js')]
  const hasTime = existsSync('/usr/bin/time')
  const [command, ...argv] = hasTime ? ['/usr/bin/time', '-v', '-o', files.time, ...bin, ...args] : [...bin, ...args]
  return new Promise((resolvePromise, reject) => {
    const startedAt = now()
    const child = spawn(command, argv, {cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    runningCli = child.pid
    const out = []
    const err = []
    child.stdout.on('data', (chunk) => out.push(chunk))
    child.stderr.on('data', (chunk) => err.push(chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      say(`the CLI ran past ${Math.round(timeoutMs / 1000)} s: SIGINT`)
      try { process.kill(-child.pid, 'SIGINT') } catch {}
      setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL') } catch {} }, 15_000).unref()
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      runningCli = null
      clearTimeout(timer)
      const endedAt = now()
      writeFileSync(files.report, Buffer.concat(out))
      writeFileSync(files.stderr, Buffer.concat(err))
      resolvePromise({exitCode: code, timedOut, startedAt, endedAt})
    })
  })
}

function parseTimeV(path) {
  if (!existsSync(path)) return null
  const text = readFileSync(path, 'utf8')
  const num = (label) => Number(new RegExp(`${label}:\\s*([\\d.]+)`).exec(text)?.[1] ?? NaN)
  const value = {userS: num('User time \\(seconds\\)'), systemS: num('System time \\(seconds\\)'), maxRssKb: num('Maximum resident set size \\(kbytes\\)')}
  return Number.isFinite(value.maxRssKb) ? value : null
}

function readJournal(stateDir) {
  const runs = join(stateDir, 'runs')
  const entries = existsSync(runs) ? readdirSync(runs).filter((f) => f.endsWith('.ndjson')).flatMap((f) => readFileSync(join(runs, f), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))) : []
  return {sending: entries.filter((e) => e.type === 'sending'), sent: entries.filter((e) => e.type === 'sent')}
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return null
  }
}

function prepareWork() {
  // Only a dir we made (marker) is ever wiped.
  if (existsSync(WORK)) {
    if (!existsSync(join(WORK, '.xtransfer-bench'))) throw new Error(`${WORK} exists and is not the bench's work dir (no .xtransfer-bench marker)`)
    rmSync(WORK, {recursive: true, force: true})
  }
  mkdirSync(WORK, {recursive: true})
  writeFileSync(join(WORK, '.xtransfer-bench'), '')
}

function sum(list, pick) {
  return list.reduce((total, item) => total + pick(item), 0)
}

function countBy(list, key) {
  const out = {}
  for (const item of list) out[key(item)] = (out[key(item)] ?? 0) + 1
  return out
}

// The CLI runs in its own process group (so a timeout can signal it and /usr/bin/time
// together): if the bench is stopped, stop it too. Fleet workers exit when their IPC
// channel closes.
let runningCli = null
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (runningCli) try { process.kill(-runningCli, 'SIGINT') } catch {}
    process.stderr.write(`[bench] ${signal}: stopping\n`)
    process.exit(130)
  })
}

main().catch((error) => {
  process.stderr.write(`[bench] failed: ${error?.stack ?? error}\n`)
  process.exit(1)
})
