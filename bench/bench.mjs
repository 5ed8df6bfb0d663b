// npm run bench (through bench/run.sh, which builds xtransfer and starts the bench's own
// lab): the login floor, xtransfer's drains of N sessions (make-before-break at two paces,
// break-before-make), and two baselines (kick every session; stop the node), on the
// 3-node lab with a rehearsal fleet spread over worker processes. In every phase but the
// floor a sender on node-2 sends numbered chat messages to some of the moving users.
// Prints a table, writes bench/results/<date>-<N>.json and the sessions-per-node picture.
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
import {listedBefore, staleListings, startViewProbe} from './lib/view-probe.mjs'
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
const PHASES = (env.BENCH_PHASES || 'floor,drain,drain-default,drain-bbm,kick,stop-node').split(',').map((p) => p.trim())
// The message sender: BENCH_MSG_RATE messages/s in all (0: none) to BENCH_MSG_USERS of the moving users.
const MSG_RATE = int('BENCH_MSG_RATE', 200)
const MSG_USERS = Math.min(N, int('BENCH_MSG_USERS', 100))
const MSG_GRACE_MS = int('BENCH_MSG_GRACE_MS', 5000)
const SENDER = 'xtbench-sender'
const VIEW_PROBE = env.BENCH_VIEW_PROBE === '1'
const LAB_DIR = env.XTRANSFER_LAB_DIR
const DEFAULT_OUT = join(ROOT, 'bench', 'results')
const OUT = resolve(env.BENCH_OUT || DEFAULT_OUT)
// Only a run that writes to bench/results refreshes the picture in docs/.
const UPDATE_DOCS_PICTURE = OUT === DEFAULT_OUT
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
      fleet: 'startFleet (dist/fleet): PLAIN over plain TCP, initial presence after every bind, @xmpp/client 0.14 (XEP-0198 stream management enabled with resume)',
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
  const ctx = {lab, api, pool, users, slices, result, messages: await prepareMessages(lab, api, users, result)}
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
    if (PHASES.includes('drain-bbm')) result.phases.drainBbm = await phaseDrain(ctx, DEFAULT_RATE, 'drain-bbm', 'break-before-make')
    save()
    if (PHASES.includes('kick')) result.phases.kick = await phaseKick(ctx)
    save()
    // Last: it stops node-1 (and starts it again afterwards).
    if (PHASES.includes('stop-node')) result.phases.stopNode = await phaseStopNode(ctx)
    save()
    await settleLateArrivals(ctx)
  } finally {
    await pool.all('stop', () => ({}), 60_000).catch(() => {})
    await pool.close()
    await ctx.messages?.pool.close()
  }
  if (PROFILE) result.profiles = summarizeProfiles(join(WORK, 'prof'))
  result.targets = judgeTargets(result)

  save()
  writeFileSync(join(OUT, `${stem}.md`), renderMarkdown(result) + '\n')
  const svgPath = join(OUT, `${stem}-drain.svg`)
  const svg = await renderTimeline(result)
  if (svg) {
    writeFileSync(svgPath, svg)
    if (UPDATE_DOCS_PICTURE) copyFileSync(svgPath, join(ROOT, 'docs', 'performance-drain.svg'))
  }
  process.stdout.write(renderTable(result) + '\n' + renderTargets(result) + '\n')
  if (result.profiles) process.stdout.write(result.profiles.text + '\n')
  process.stdout.write(`\nresults: ${jsonPath} (and .md)\npicture: ${svg ? `${svgPath}${UPDATE_DOCS_PICTURE ? ' (copied to docs/performance-drain.svg)' : ''}` : 'none (no timeline)'}\nraw files: ${WORK}\n`)
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

/** The fleet on node-1 (moving `mode`), then the real CLI drains it at `rate`. */
async function phaseDrain(ctx, rate, label, mode = 'make-before-break') {
  const {lab, api, pool} = ctx
  const setup = await fleetOnSource(ctx, label, mode)
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
  await startMessages(ctx, label)
  const cli = await runCli(args, files, (N / rate + WAIT_S + 90) * 1000)
  const cliCpuEnd = await cpuSnapshot(ctx)
  // The CLI has seen every session elsewhere; the fleet's own view must agree.
  const settled = await waitFor(ctx, (counts) => counts.transferred >= N, 30_000)
  const sent = await stopMessages(ctx)
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
  const messages = messageFigures(ctx, sent, collected, origin, label)
  await countStillStored(ctx, messages)
  return {
    what: `xtransfer drain ${DRAIN_NODE} --rate ${rate} of ${N} sessions (${mode} followers), ${WORKERS} fleet workers`,
    rate,
    mode,
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
    messages,
    // Sessions at the end of the phase whose stream had XEP-0198 enabled.
    withStreamManagement: sum(collected, (c) => c.streamManagement),
    directory: directorySummary(directory, polls),
    cpu,
    timeline: timeline(samples, origin),
    samplerFailures: sampler.failures,
    files: Object.fromEntries(Object.entries(files).map(([key, path]) => [key, path])),
  }
}

/** The fleet on node-1 with reconnect on, pointed at node-2/3; every session kicked through the HTTP API at once. */
async function phaseKick(ctx) {
  const {lab, api, users} = ctx
  const setup = await fleetReadyToReconnect(ctx, 'kick')
  say(`kick: kick_session × ${N} through the HTTP API (${KICK_PARALLEL} in parallel over the 3 nodes' APIs)`)
  const sampler = startSampler(lab, api, {everyMs: SAMPLE_MS, how: SAMPLER})
  const cpu0 = await cpuSnapshot(ctx)
  await startMessages(ctx, 'kick')
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
  const comeBack = await reconnectFigures(ctx, {sampler, cpu0, origin: kickStart, tag: 'kick'})
  return {
    what: `kick_session × ${N} (HTTP API, ${KICK_PARALLEL} in parallel); unmodified @xmpp/client reconnect (1 s delay) to node-2/node-3`,
    users: N,
    fleetSetup: setup,
    kickS: r1((kicks.endedAt - kickStart) / 1000),
    kicksPerS: r1(kicks.ok / ((kicks.endedAt - kickStart) / 1000)),
    kickFailures: kicks.failed,
    kickFailureSample: kicks.sample,
    ...comeBack,
  }
}

/**
 * The fleet on node-1 with reconnect on, pointed at node-2/3; node-1 stopped as an operator
 * would (ejabberdctl stop, through test/lab/node.sh), then started again for later runs.
 */
async function phaseStopNode(ctx) {
  const {lab, api} = ctx
  const setup = await fleetReadyToReconnect(ctx, 'stop-node')
  say('stop-node: test/lab/node.sh stop 1 (ejabberdctl stop, then the node\'s PID exits)')
  const sampler = startSampler(lab, api, {everyMs: SAMPLE_MS, how: SAMPLER})
  const cpu0 = await cpuSnapshot(ctx)
  await startMessages(ctx, 'stop-node')
  const stopStart = now()
  const stop = await runLabScript(['stop', '1'], 120_000)
  const stopEnd = now()
  if (stop.code !== 0) say(`stop-node: node.sh stop 1 exited ${stop.code}: ${stop.output.slice(-300)}`)
  const comeBack = await reconnectFigures(ctx, {sampler, cpu0, origin: stopStart, apiNode: 1, tag: 'stop-node'})
  say('stop-node: starting node-1 again')
  const startAgain = await runLabScript(['start', '1'], 240_000)
  if (startAgain.code === 0) lab.nodes[0].pid = labInfo(LAB_DIR).nodes[0].pid
  else say(`stop-node: node.sh start 1 exited ${startAgain.code}: ${startAgain.output.slice(-300)}`)
  return {
    what: `test/lab/node.sh stop 1 (ejabberdctl stop) under ${N} sessions; unmodified @xmpp/client reconnect (1 s delay) to node-2/node-3; server CPU of node-2 and node-3 only (node-1's ends with it)`,
    users: N,
    fleetSetup: setup,
    stopS: r1((stopEnd - stopStart) / 1000),
    stopExitCode: stop.code,
    restarted: startAgain.code === 0,
    ...comeBack,
  }
}

/** Both baselines: the fleet on node-1, each client's auto-reconnect on and pointed at node-2 or node-3. */
async function fleetReadyToReconnect(ctx, label) {
  const {lab, pool, users} = ctx
  const setup = await fleetOnSource(ctx, label)
  await sleep(SETTLE_MS)
  const targets = lab.nodes.slice(1)
  const serviceOf = Object.fromEntries(users.map((user, i) => [user, `xmpp://127.0.0.1:${targets[i % targets.length].c2s}`]))
  await pool.all('armReconnect', () => ({serviceOf}))
  await pool.all('collect', () => ({withStats: false}))
  return setup
}

/** Both baselines, after the blow: until everybody is back, then what the clients and the messages saw. */
async function reconnectFigures(ctx, {sampler, cpu0, origin, tag, apiNode = 0}) {
  const {pool} = ctx
  const back = await waitFor(ctx, (counts) => counts.rebound >= N, Math.max(120_000, N * 30))
  const sent = await stopMessages(ctx)
  const cpu = cpuSince(cpu0, await cpuSnapshot(ctx))
  const collected = await pool.all('collect')
  await sleep(500)
  const samples = await sampler.stop()
  await stopFleet(ctx, apiNode)
  const messages = messageFigures(ctx, sent, collected, origin, tag)
  await countStillStored(ctx, messages, apiNode)

  const rebound = collected.flatMap((c) => c.log.rebound)
  const firstBack = new Map()
  for (const [user, t] of rebound) if (!firstBack.has(user) || t < firstBack.get(user)) firstBack.set(user, t)
  const backAt = [...firstBack.values()]
  const attempts = sum(collected, (c) => c.log.reconnecting.length)
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
    clientErrors: sum(collected, (c) => c.log.reconnectErrors),
    clientErrorSample: collected.flatMap((c) => c.log.reconnectErrorSample).slice(0, 5),
    clientLibraryCrashes: sum(collected, (c) => c.log.crashes),
    clientLibraryCrashSample: collected.flatMap((c) => c.log.crashSample).slice(0, 2),
    offlineGapMs: gapStats(stats),
    messages,
    withStreamManagement: sum(collected, (c) => c.streamManagement),
    byNodeAfter: countBy(stats.filter((s) => s.online), (s) => s.currentService),
    cpu,
    timeline: timeline(samples, origin),
    samplerFailures: sampler.failures,
  }
}

/** test/lab/node.sh on the bench's lab (bench/run.sh exported its settings); bounded. */
function runLabScript(args, timeoutMs) {
  return new Promise((resolvePromise) => {
    const child = spawn('bash', [join(ROOT, 'test', 'lab', 'node.sh'), ...args], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
    const output = []
    child.stdout.on('data', (chunk) => output.push(chunk))
    child.stderr.on('data', (chunk) => output.push(chunk))
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({code: code ?? signal, output: Buffer.concat(output).toString()})
    })
  })
}

// --- the message sender ---------------------------------------------------------------

/** The sender's account and worker, and who receives: MSG_USERS users spread over the fleet. */
async function prepareMessages(lab, api, users, result) {
  if (MSG_RATE === 0) return null
  try {
    await api.call('register', {user: SENDER, host: lab.domain, password: lab.userPassword})
  } catch (error) {
    if (!/already|exists|conflict|409/i.test(error.message)) throw error
  }
  const receivers = Array.from({length: MSG_USERS}, (_, k) => users[Math.floor((k * N) / MSG_USERS)])
  const node = lab.nodes[1]
  result.settings.messages = {
    ratePerS: MSG_RATE, receivers: MSG_USERS, perReceiverPerS: r1(MSG_RATE / MSG_USERS), graceMs: MSG_GRACE_MS,
    sender: `${SENDER}@${lab.domain} on ${node.name}, to the receivers' full JIDs (…/rehearsal), type chat`,
    serverModules: serverModules(lab),
  }
  return {
    pool: await startPool(1),
    receivers,
    /** Each phase's lost messages (seq numbers), by tag: settleLateArrivals looks for them later. */
    lostByTag: new Map(),
    start: {service: `xmpp://127.0.0.1:${node.c2s}`, domain: lab.domain, user: SENDER, password: lab.userPassword,
      targets: receivers.map((user) => `${user}@${lab.domain}/rehearsal`), rate: MSG_RATE},
  }
}

/** What the lab's ejabberd.yml turns on that decides a message's fate: offline storage, stream management. */
function serverModules(lab) {
  const path = join(lab.dir, 'node1', 'ejabberd.yml')
  if (!existsSync(path)) return null
  const yml = readFileSync(path, 'utf8')
  return {
    mod_offline: /^ {2}mod_offline:/m.test(yml),
    maxUserOfflineMessages: /max_user_offline_messages:\n(?:\s+\d+: \w+\n)*?\s+(\d+): all/.exec(yml)?.[1] ?? null,
    mod_stream_mgmt: /^ {2}mod_stream_mgmt:/m.test(yml),
    resumeTimeoutS: /mod_stream_mgmt:\n\s+resume_timeout: (\d+)/.exec(yml)?.[1] ?? null,
    resendOnTimeout: /mod_stream_mgmt:\n(?:\s+\w+: \S+\n)*?\s+resend_on_timeout: (\S+)/.exec(yml)?.[1] ?? 'false (default)',
  }
}

/** `tag`: the phase, written into every message. With BENCH_VIEW_PROBE=1, the sender's node's session table is read meanwhile. */
async function startMessages(ctx, tag) {
  if (!ctx.messages) return
  if (VIEW_PROBE) ctx.messages.probe = startViewProbe(ctx.lab, ctx.api, {node: 1, users: ctx.messages.receivers})
  await ctx.messages.pool.all('sendStart', () => ({...ctx.messages.start, tag}))
}

/** Stops the sender after its grace period (late deliveries, bounces); null if none ran. */
async function stopMessages(ctx) {
  if (!ctx.messages) return null
  const [sent] = await ctx.messages.pool.all('sendStop', () => ({graceMs: MSG_GRACE_MS}), MSG_GRACE_MS + 30_000)
  if (ctx.messages.probe) {
    sent.view = await ctx.messages.probe.stop()
    ctx.messages.probe = null
  }
  // A busy fleet worker reads its sockets late: wait until no message has come for 2 s (at most 30 s).
  let last = -1
  let quietSince = now()
  const deadline = now() + 30_000
  while (now() < deadline && now() - quietSince < 2000) {
    const total = sum(await ctx.pool.all('counts'), (c) => c.messages)
    if (total !== last) {
      last = total
      quietSince = now()
    }
    await sleep(250)
  }
  return sent
}

/**
 * After the last phase: the receivers log in once more (node-2, with presence), so that
 * ejabberd hands over what it still stores; then, for every phase, which of its lost
 * messages reached their receiver later (after the phase was counted, or at a later
 * login) and which never did.
 */
async function settleLateArrivals(ctx) {
  const {messages, pool, lab, slices, result} = ctx
  if (!messages) return
  const service = `xmpp://127.0.0.1:${lab.nodes[1].c2s}`
  const receivers = new Set(messages.receivers)
  say(`messages: the ${receivers.size} receivers log in once more, to collect what offline storage still holds`)
  try {
    await pool.all('login', (w) => ({...fleetBasics(lab), groups: [{service, users: slices[w].filter((user) => receivers.has(user))}]}), loginTimeoutMs())
    await sleep(3000)
    await pool.all('collect', () => ({withStats: false}))
    await stopFleet(ctx, 1)
  } catch (error) {
    say(`messages: the last login failed (${error.message}); late arrivals are counted up to the last phase`)
  }
  const seen = new Map()
  for (const part of await pool.all('seen')) {
    for (const [tag, seqs] of Object.entries(part)) {
      if (!seen.has(tag)) seen.set(tag, new Map())
      for (const signed of seqs) seen.get(tag).set(Math.abs(signed), signed < 0)
    }
  }
  for (const phase of Object.values(result.phases)) {
    const m = phase.messages
    const lost = m && messages.lostByTag.get(m.tag)
    if (!lost) continue
    const later = lost.filter((seq) => seen.get(m.tag)?.has(seq))
    const fromStorage = later.filter((seq) => seen.get(m.tag).get(seq)).length
    m.arrivedLater = {live: later.length - fromStorage, fromStorage}
    m.neverArrived = lost.length - later.length
  }
}

/**
 * After the phase (sessions closed, sender stopped): how many messages ejabberd still
 * holds in offline storage for the receivers that lost some — where a lost message that
 * was stored after the user's presence had emptied the store stays until the next login.
 */
async function countStillStored(ctx, messages, apiNode = 0) {
  if (!messages || messages.lost === 0) return
  const users = Object.keys(messages.lostByUser)
  const counts = await Promise.all(users.map((user) => ctx.api.call('get_offline_count', {user, server: ctx.lab.domain}, {node: apiNode}).then((answer) => Number(answer?.value ?? answer), () => null)))
  messages.stillInOfflineStorage = Object.fromEntries(users.map((user, i) => [user, counts[i]]))
}

/** BENCH_VIEW_PROBE=1: the sender's node's listings set against the receivers' session events and the lost messages. */
function viewFigures(view, timelines, explained) {
  const endedAt = new Map()
  for (const [user, events] of timelines) {
    const end = events.find(([, what]) => what === 'session ended, none bound' || what === 'new session bound')
    if (end) endedAt.set(user, end[0])
  }
  const stale = staleListings(view, endedAt, DRAIN_NODE)
  return {
    node: view.node, samples: view.samples.length, failures: view.failures,
    sampleSpacingMs: spread(view.samples.slice(1).map(([t], i) => t - view.samples[i][0])),
    afterTheirNode1SessionEnded: {listings: stale.listingsAfterTheEnd, stillOnNode1: stale.stillOnTheOldNode, forMs: spread(stale.staleMs)},
    lostListedBeforeTheSend: countBy(explained, (loss) => {
      const wasOver = endedAt.has(loss.user) && endedAt.get(loss.user) <= loss.sentAt
      const where = loss.listed === undefined ? 'no sample before it' : loss.listed === null ? 'no session' : `on ${loss.listed}`
      return `${where}${wasOver ? ' (its node-1 session had ended)' : ''}`
    }),
  }
}

/** Each user's session events in a phase, in time order: [t, what]. */
function sessionTimelines(collected) {
  const byUser = new Map()
  const add = (user, t, what) => {
    if (!byUser.has(user)) byUser.set(user, [])
    byUser.get(user).push([t, what])
  }
  for (const {log} of collected) {
    for (const [user, t] of log.packets) add(user, t, 'transfer packet')
    for (const [user, t] of log.transferred) add(user, t, 'new session bound')
    for (const [user, t] of log.offline) add(user, t, 'session ended, none bound')
    for (const [user, t] of log.rebound) add(user, t, 'bound again')
  }
  for (const events of byUser.values()) events.sort((a, b) => a[0] - b[0])
  return byUser
}

/** Where a receiver was when a message was sent to it: its last session event before, and the next. */
function whenSent(events, at) {
  let last = null
  for (const event of events) if (event[0] <= at) last = event
  const next = events.find((event) => event[0] > at)
  const ms = (t) => Math.round(t - at)
  const detail = [last && `${last[1]} ${ms(last[0])} ms`, next && `${next[1]} +${ms(next[0])} ms`].filter(Boolean).join('; ') || 'no session event'
  if (last?.[1] === 'session ended, none bound') return {when: 'while the user had no session', detail}
  if (next && next[0] - at <= 2000 && (next[1] === 'session ended, none bound' || next[1] === 'new session bound')) return {when: `within 2 s before its session changed (${next[1]})`, detail}
  if (last && at - last[0] <= 2000) return {when: `within 2 s after ${last[1]}`, detail}
  return {when: 'no session change within 2 s', detail}
}

/** Sent, delivered (first copies), lost, duplicated and delivery delay, from the receivers' logs. */
function messageFigures(ctx, sent, collected, origin, tag) {
  if (!sent) return null
  const {receivers} = ctx.messages
  const targetOf = (seq) => receivers[(seq - 1) % receivers.length]
  const copies = new Map()
  const delays = []
  let viaStorage = 0
  let misrouted = 0
  const duplicates = []
  // Messages of earlier phases that reached their receiver only now (kept in offline storage).
  const earlier = {}
  for (const [user, phase, seq, sentAt, at, delayed] of collected.flatMap((c) => c.log.messages)) {
    if (phase !== tag) {
      earlier[phase] = (earlier[phase] ?? 0) + 1
      continue
    }
    if (seq > sent.sent || targetOf(seq) !== user) {
      misrouted++
      continue
    }
    const n = (copies.get(seq) ?? 0) + 1
    copies.set(seq, n)
    if (n === 1) {
      delays.push(at - sentAt)
      if (delayed) viaStorage++
    } else if (duplicates.length < 10) duplicates.push([user, seq, r1((sentAt - origin) / 1000), delayed ? 'delayed' : 'live'])
  }
  const bounced = new Map(sent.bounced)
  const lost = []
  for (let seq = 1; seq <= sent.sent; seq++) if (!copies.has(seq)) lost.push(seq)
  // A lost message's send time, from the sender's steady pace.
  const sentAtOf = (seq) => sent.startedAt + ((seq - 1) * 1000) / sent.rate
  ctx.messages.lostByTag.set(tag, lost)
  const timelines = sessionTimelines(collected)
  const explained = lost.map((seq) => ({seq, user: targetOf(seq), sentAt: sentAtOf(seq), ...whenSent(timelines.get(targetOf(seq)) ?? [], sentAtOf(seq)), bounce: bounced.get(seq) ?? null,
    ...(sent.view ? {listed: listedBefore(sent.view, targetOf(seq), sentAtOf(seq))} : {})}))
  return {
    tag,
    sent: sent.sent,
    delivered: copies.size,
    lost: lost.length,
    duplicated: [...copies.values()].reduce((total, n) => total + n - 1, 0),
    delayMs: spread(delays),
    throughStorage: viaStorage,
    bounced: sent.bounced.length,
    bounceConditions: countBy(sent.bounced, ([, condition]) => condition),
    // The sender was told "not delivered" for a message the receiver has: ejabberd bounces the
    // unacknowledged stanzas of a session that ends (mod_stream_mgmt, resend_on_timeout: false).
    bouncedButDelivered: sent.bounced.filter(([seq]) => copies.has(seq)).length,
    // Where the receiver was when each lost message was sent (see whenSent).
    lostWhen: countBy(explained, (loss) => `${loss.when}${loss.bounce ? ` (bounced: ${loss.bounce})` : ' (no bounce)'}`),
    misrouted,
    fromEarlierPhases: earlier,
    sendingS: r1((sent.stoppedAt - sent.startedAt) / 1000),
    senderProblems: {sendFailures: sent.sendFailures, streamErrors: sent.streamErrors.slice(0, 5), droppedAtS: sent.droppedAt === null ? null : r1((sent.droppedAt - origin) / 1000)},
    lostByUser: countBy(explained, (loss) => loss.user),
    // BENCH_VIEW_PROBE=1: where the sender's node listed each lost message's receiver in its last sample before the send,
    // and how long it kept listing receivers on node-1 after their session there had ended.
    ...(sent.view ? {viewOfTheSendersNode: viewFigures(sent.view, timelines, explained)} : {}),
    // [receiver, seq, sent at (s from the phase's origin), the receiver's nearest session event, bounce condition or null]
    lostSample: explained.slice(0, 10).map((loss) => [loss.user, loss.seq, r1((sentAtOf(loss.seq) - origin) / 1000), loss.detail, loss.bounce]),
    // [receiver, seq, sent at (s), how the extra copy came]
    duplicateSample: duplicates,
  }
}

// --- fleet helpers --------------------------------------------------------------------

function fleetBasics(lab, mode = 'make-before-break') {
  return {password: lab.userPassword, domain: lab.domain, parallelism: PARALLELISM, mode, trustedAdmins: [lab.adminJid], loginTimeout: 30_000, presence: true}
}

function loginTimeoutMs() {
  return 60_000 + N * 50 // 20 logins/s at the worst
}

async function fleetOnSource(ctx, label, mode) {
  const {lab, pool, slices} = ctx
  const service = `xmpp://127.0.0.1:${lab.nodes[0].c2s}`
  say(`${label}: fleet of ${N} logs in on ${DRAIN_NODE}`)
  const started = now()
  const logins = await pool.all('login', (w) => ({...fleetBasics(lab, mode), groups: [{service, users: slices[w]}]}), loginTimeoutMs())
  const failures = logins.flatMap((login) => login.failures)
  if (failures.length) throw new Error(`${label}: the fleet could not log in on ${DRAIN_NODE}: ${failures.join('; ').slice(0, 500)}`)
  const seconds = (Math.max(...logins.map((login) => login.endedAt)) - started) / 1000
  return {timeS: r1(seconds), loginsPerS: r1(N / seconds)}
}

/** `apiNode`: the node whose API says when the cluster is empty (one that runs). */
async function stopFleet(ctx, apiNode = 0) {
  await ctx.pool.all('stop', () => ({}), 60_000)
  await waitEmpty(ctx.api, {node: apiNode})
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
async function waitEmpty(api, {ms = 90_000, node = 0} = {}) {
  const deadline = now() + ms
  for (;;) {
    const rows = await api.call('connected_users_info', {}, {node}).catch(() => null)
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
  const {floor, drain, drainDefault, drainBbm, kick, stopNode} = result.phases
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
  for (const run of [drain, drainDefault].filter(Boolean)) {
    const m = run.messages
    const gap = run.offlineGapMs
    targets.push({target: `make-before-break drain (--rate ${run.rate}): offline gap p99 = 0, 0 messages lost, 0 duplicated`,
      value: `gap p99 ${gap.p99} ms (max ${gap.max}); ${m ? `${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : 'no messages sent'}`,
      met: gap.p99 === 0 && (m ? m.lost === 0 && m.duplicated === 0 : null)})
  }
  if (drainBbm) {
    const m = drainBbm.messages
    targets.push({target: `break-before-make drain: offline gap p99 ≤ 0.3 s at the default pace (--rate ${drainBbm.rate})`,
      value: `gap p50 / p99 / max ${drainBbm.offlineGapMs.p50} / ${drainBbm.offlineGapMs.p99} / ${drainBbm.offlineGapMs.max} ms${m ? `; messages: ${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : ''}`,
      met: drainBbm.rate === DEFAULT_RATE ? drainBbm.offlineGapMs.p99 !== null && drainBbm.offlineGapMs.p99 <= 300 : null})
  }
  for (const [name, run] of [['kick-all', kick], ['stop node-1', stopNode]]) {
    if (!run) continue
    const m = run.messages
    targets.push({target: `(context) ${name}: time to 100 % back, gap, messages`,
      value: `${run.back100S} s, ${run.failedLogins} failed logins, gap p50 / p99 ${run.offlineGapMs.p50} / ${run.offlineGapMs.p99} ms${m ? `; ${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : ''}`, met: null})
  }
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
