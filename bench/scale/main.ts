// npm run bench:scale: clusters of millions, by simulation (issue 14 §4). No servers: the real
// engine — plan, pacer, ladder, tracker, journal, report — against a simulated directory,
// control and clients (bench/scale/world.ts) on the virtual clock, for each scenario at each
// cluster size, each step in its own process (scenario.ts). Prints the figures and the targets
// and writes bench/results/scale-<date>.json and .md. Settings: bench/scale/settings.ts and
// docs/performance.md ("Clusters of millions").
import {spawn} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {judgeTargets, type ScenarioResult, type Step, type StepPhase} from './analysis.js'
import {renderScale, type ScaleRun} from './render.js'
import type {PhaseResult, PlanStepResult, ReportStepResult, RunStepResult, ScenarioSpec} from './scenario.js'
import {readScaleSettings, SCENARIOS, type ScaleSettings, SettingsError, specFor} from './settings.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const say = (text: string) => process.stderr.write(`[scale] ${text}\n`)

/** Runs one step in a fresh node process and returns its JSON line. */
function step<T>(settings: ScaleSettings, args: string[], label: string): Promise<T> {
  // SCALE_PROFILE=1: the child profiles each phase alone (measure.ts).
  const env = settings.profile ? {...process.env, SCALE_PROFILE_DIR: profileDir(settings)} : process.env
  return new Promise((resolveStep, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'scale', 'child.ts'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    const timer = setTimeout(() => child.kill('SIGTERM'), settings.stepTimeoutS * 1000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0)
        return reject(new Error(`${label}: exit ${code ?? signal}${signal === 'SIGTERM' ? ` (SCALE_STEP_TIMEOUT ${settings.stepTimeoutS} s)` : ''}`))
      try {
        resolveStep(JSON.parse(out) as T)
      } catch {
        reject(new Error(`${label}: no result on stdout`))
      }
    })
  })
}

function profileDir(settings: ScaleSettings): string {
  return join(settings.work, 'prof')
}

function tagged(phases: Record<string, PhaseResult>, stepName: Step): Record<string, StepPhase> {
  return Object.fromEntries(Object.entries(phases).map(([name, figures]) => [name, {...figures, step: stepName}]))
}

async function scenario(settings: ScaleSettings, name: string, sessions: number): Promise<ScenarioResult> {
  const spec: ScenarioSpec = specFor(settings, name, sessions)
  const json = JSON.stringify(spec)
  const label = `${name}-${sessions}`
  say(`${name} at ${sessions.toLocaleString('en-US')} sessions`)
  // Planned both ways: with the stock listing apart (its own process), with the node calls in the run's.
  const planned = await step<PlanStepResult>(settings, ['plan', json], `${label}-plan`)
  const ran = await step<RunStepResult>(settings, ['run', json], `${label}-run`)
  try {
    const reported = await step<ReportStepResult>(settings, ['report', json, ran.stateDir, ran.runId], `${label}-report`)
    return {
      name,
      what: SCENARIOS[name]!.what,
      spec,
      moved: ran.planned,
      plansAgree: planned.fingerprint === ran.fingerprint,
      baselineRssMb: {plan: planned.baselineRssMb, run: ran.baselineRssMb, report: reported.baselineRssMb},
      phases: {...tagged(planned.phases, 'plan'), ...tagged(ran.phases, 'run'), ...tagged(reported.phases, 'report')},
      run: ran.run,
      journal: {...ran.journal, rows: reported.rows},
    }
  } finally {
    rmSync(ran.stateDir, {recursive: true, force: true})
  }
}

async function main(settings: ScaleSettings): Promise<void> {
  const date = new Date()
  if (settings.profile) {
    rmSync(profileDir(settings), {recursive: true, force: true})
    mkdirSync(profileDir(settings), {recursive: true})
  }
  const run: ScaleRun = {
    date: date.toISOString(),
    machine: {cores: cpus().length, cpuModel: cpus()[0]?.model ?? null, node: process.version, loadAvgAtStart: loadavg().map((v) => Math.round(v * 100) / 100)},
    settings: {...settings, out: undefined, work: undefined},
    results: [],
    targets: [],
  }
  mkdirSync(settings.out, {recursive: true})
  const stem = join(settings.out, `scale-${date.toISOString().slice(0, 10)}`)
  const save = () => writeFileSync(`${stem}.json`, JSON.stringify(run, null, 1) + '\n')
  for (const sessions of settings.sizes) {
    for (const name of settings.scenarios) {
      run.results.push(await scenario(settings, name, sessions))
      // After each scenario: a run that fails later keeps what it measured.
      run.targets = judgeTargets(run.results)
      save()
    }
  }
  const markdown = renderScale(run)
  writeFileSync(`${stem}.md`, markdown + '\n')
  process.stdout.write(markdown + '\n')
  if (settings.profile) process.stdout.write(`\nprofiles: ${profileDir(settings)} (npx tsx bench/scale/profile-summary.ts ${profileDir(settings)})\n`)
  process.stdout.write(`\nresults: ${stem}.json (and .md)\n`)
}

let settings: ScaleSettings
try {
  settings = readScaleSettings(process.env, ROOT)
} catch (error) {
  if (!(error instanceof SettingsError)) throw error
  process.stderr.write(`bench:scale: ${error.message}\n`)
  process.exit(2)
}
main(settings).catch((error: unknown) => {
  process.stderr.write(`[scale] failed: ${(error as Error | undefined)?.message ?? String(error)}\n`)
  process.exit(1)
})
