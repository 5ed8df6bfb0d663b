// npm run bench (through bench/run.sh, which builds xtransfer and starts the bench's own
// lab): the login floor, xtransfer's drains of N sessions (make-before-break at two paces,
// break-before-make), and two baselines (kick every session; stop the node), on the
// 3-node lab with a rehearsal fleet spread over worker processes. In every phase but the
// floor a sender on node-2 sends numbered chat messages to some of the moving users.
// Prints a table, writes bench/results/<date>-<N>.json (+ .md) and the sessions-per-node
// picture. Settings: see docs/performance.md ("Settings"). Run with tsx:
// node --import tsx bench/main.ts
import {copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, totalmem} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {summarizeProfiles} from './analysis/cpu-profile.js'
import {round} from './analysis/stats.js'
import {judgeTargets} from './analysis/targets.js'
import {type BenchContext, realClock} from './context.js'
import {startPool} from './fleet/pool.js'
import {adminApi} from './lab/admin-api.js'
import {measureAnonymousCost, measureApiCost} from './lab/api-cost.js'
import {labInfo, userName} from './lab/lab-info.js'
import {AFTER_THE_FLOOR, floor} from './phases/index.js'
import {runPhase} from './phases/phase.js'
import {renderMarkdown} from './render/markdown.js'
import {renderTimeline} from './render/plot.js'
import {renderTable, renderTargets} from './render/table.js'
import type {BenchResult, FloorFigures} from './results.js'
import {type BenchSettings, FIXED_RATE, readSettings, SettingsError} from './settings.js'
import {waitEmpty} from './steps/fleet-steps.js'
import {prepareMessages, settleLateArrivals} from './steps/message-traffic.js'
import {preparePreload, stopRunningCli} from './steps/run-cli.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const say = (text: string) => process.stderr.write(`[bench] ${text}\n`)

async function main(settings: BenchSettings): Promise<void> {
  const {users: N, labDir, out, work} = settings
  if (!labDir) throw new Error('XTRANSFER_LAB_DIR is not set (run through bench/run.sh)')
  if (!existsSync(join(ROOT, 'dist', 'fleet', 'index.js'))) throw new Error('dist/ is missing: npm run build first')
  const lab = labInfo(labDir)
  if (lab.users < N) throw new Error(`the lab has ${lab.users} users, the bench needs ${N} (LAB_USERS)`)
  prepareWork(work)
  const preload = preparePreload(work)
  const api = adminApi(lab)
  const date = new Date()
  const result: BenchResult = {
    date: date.toISOString(),
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      memoryGb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      loadAvgAtStart: loadavg().map((v) => round(v, 2)),
    },
    settings: {
      users: N,
      workers: settings.workers,
      parallelismPerWorker: settings.parallelism,
      sampleMs: settings.sampleMs,
      sampler: settings.sampler,
      kickParallel: settings.kickParallel,
      waitS: settings.waitS,
      profile: settings.profile,
      phases: settings.phases,
      fleet:
        'startFleet (dist/fleet): PLAIN over plain TCP, initial presence after every bind, @xmpp/client 0.14 (XEP-0198 stream management enabled with resume)',
      lab: {
        nodes: lab.nodes.map(({name, server, c2s, api: url}) => ({name, server, c2s, api: url})),
        forwardLateMs: lab.env.LAB_COMPANION === 'off' ? null : Number(lab.env.LAB_FORWARD_LATE || 5000),
      },
    },
    directoryCost: {},
    phases: {},
  }
  const clock = realClock
  say(`N=${N} users, ${settings.workers} fleet workers × parallelism ${settings.parallelism}, lab ${labDir}`)
  await waitEmpty({api, clock, say})

  say('directory cost at idle (authenticated vs refused calls)')
  result.directoryCost.idle = [
    await measureAnonymousCost(lab, 'connected_users_number', {calls: 60}),
    await measureApiCost(lab, api, 'connected_users_number', {calls: 60}),
    await measureApiCost(lab, api, 'user_sessions_info', {calls: 60, args: {user: userName(1), host: lab.domain}}),
  ]

  const execArgv = settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'prof', 'fleet')}`] : []
  const pool = await startPool(settings.workers, {execArgv})
  const users = Array.from({length: N}, (_, i) => userName(i + 1))
  const slices = Array.from({length: settings.workers}, (_, w) => users.filter((_, i) => i % settings.workers === w))
  const ctx: BenchContext = {root: ROOT, settings, lab, api, pool, users, slices, result, messages: null, preload, clock, say}
  ctx.messages = await prepareMessages(ctx)
  mkdirSync(out, {recursive: true})
  const stem = `${date.toISOString().slice(0, 10)}-${N}`
  const jsonPath = join(out, `${stem}.json`)
  // After each phase: a run that fails later keeps what it measured.
  const save = () => writeFileSync(jsonPath, JSON.stringify(result, null, 1) + '\n')
  try {
    await runPhase(floor, ctx)
    save()
    const rate = chooseRate(settings, result.phases.floor)
    result.settings.rate = rate
    const paced = {...ctx, rate: rate.chosen}
    for (const phase of AFTER_THE_FLOOR) {
      await runPhase(phase, paced)
      save()
    }
    await settleLateArrivals(ctx)
  } finally {
    await pool.all('stop', () => ({}), 60_000).catch(() => {})
    await pool.close()
    await ctx.messages?.pool.close()
  }
  if (settings.profile) result.profiles = summarizeProfiles(join(work, 'prof'))
  result.targets = judgeTargets(result)

  save()
  writeFileSync(join(out, `${stem}.md`), renderMarkdown(result) + '\n')
  const svgPath = join(out, `${stem}-drain.svg`)
  const svg = await renderTimeline(result)
  if (svg) {
    writeFileSync(svgPath, svg)
    if (settings.updateDocsPicture) copyFileSync(svgPath, join(ROOT, 'docs', 'performance-drain.svg'))
  }
  process.stdout.write(renderTable(result) + '\n' + renderTargets(result) + '\n')
  if (result.profiles) process.stdout.write(result.profiles.text + '\n')
  process.stdout.write(
    `\nresults: ${jsonPath} (and .md)\npicture: ${svg ? `${svgPath}${settings.updateDocsPicture ? ' (copied to docs/performance-drain.svg)' : ''}` : 'none (no timeline)'}\nraw files: ${work}\n`,
  )
}

/**
 * The main drain's --rate. A move costs the servers more than a fresh login (the old
 * session's replacement on the source, the admin's packet, xtransfer's directory polls):
 * pacing at the full floor queues logins on the targets past @xmpp/client's 2 s
 * stream-open timeout, hence a share of it (BENCH_RATE_FACTOR, 0.9).
 */
function chooseRate(settings: BenchSettings, floorFigures: FloorFigures | undefined): {chosen: number; why: string} {
  const floorRate = floorFigures?.loginsPerS
  const chosen = settings.fixedRate || (floorRate ? Math.max(1, Math.floor(floorRate * settings.rateFactor)) : FIXED_RATE)
  return {
    chosen,
    why: settings.fixedRate
      ? 'BENCH_RATE'
      : floorRate
        ? `${settings.rateFactor} × the measured floor (${floorRate} logins/s)`
        : `no floor measured: ${FIXED_RATE}`,
  }
}

/** Only a dir we made (marker) is ever wiped. */
function prepareWork(work: string): void {
  if (existsSync(work)) {
    if (!existsSync(join(work, '.xtransfer-bench'))) throw new Error(`${work} exists and is not the bench's work dir (no .xtransfer-bench marker)`)
    rmSync(work, {recursive: true, force: true})
  }
  mkdirSync(work, {recursive: true})
  writeFileSync(join(work, '.xtransfer-bench'), '')
}

// The CLI runs in its own process group (so a timeout can signal it and GNU time
// together): if the bench is stopped, stop it too. Fleet workers exit when their IPC
// channel closes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopRunningCli()
    process.stderr.write(`[bench] ${signal}: stopping\n`)
    process.exit(130)
  })
}

let settings: BenchSettings
try {
  settings = readSettings(process.env, ROOT)
} catch (error) {
  if (!(error instanceof SettingsError)) throw error
  process.stderr.write(`bench: ${error.message}\n`)
  process.exit(2)
}
main(settings).catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${(error as Error | undefined)?.stack ?? String(error)}\n`)
  process.exit(1)
})
