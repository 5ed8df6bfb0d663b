// The steps of one bench:scale scenario. main.ts runs each step in its own process, so that a
// phase's peak RSS is not an earlier phase's garbage, as an operator's commands each run in
// their own: `plan` (the stock directory: the whole cluster listed), `run` (what `xtransfer
// drain` / `rebalance` does in one process with the optional per-node directory calls: plan, then run — pacer, ladder, tracker, journal,
// report — then, apart, the journal's lines written again alone), and `report` (what
// `xtransfer report RUN` does: read the journal, rebuild the report, print it; then each part
// alone). Each phase is measured for CPU and peak RSS (measure.ts).
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Chalk} from 'chalk'

import type {Config} from '../../src/config/config-schema.js'
import {parseConfig} from '../../src/config/load-config.js'
import {ALL_METHODS} from '../../src/engine/ladder/methods.js'
import type {TransferReport} from '../../src/engine/report.js'
import type {JournalEntry} from '../../src/journal/journal-entries.js'
import {readRun} from '../../src/journal/journal-reader.js'
import {openJournal} from '../../src/journal/journal-writer.js'
import {runsIn} from '../../src/journal/runs-dir.js'
import type {TransferChoices} from '../../src/model/settings.js'
import {checkRequest, planTransfer, type TransferPlan, type TransferRequest} from '../../src/operations/plan-transfer.js'
import {reportFromJournal} from '../../src/operations/run-report.js'
import {runTransfer} from '../../src/operations/run-transfer.js'
import {renderReport} from '../../src/render/report-table.js'
import {seededRandom} from '../../test/support/seeded-random.js'
import {VirtualClock} from '../../test/support/virtual-clock.js'
import {type ClientMix, DEFAULT_MIX} from './clients.js'
import {measure, type PhaseFigures} from './measure.js'
import {simControl} from './sim-control.js'
import {type DirectoryUsage, simDirectory} from './sim-directory.js'
import {SimulatedWorld} from './world.js'

export type ScenarioKind = 'drain' | 'rebalance'

export interface ScenarioSpec {
  /** Its name in SCALE_SCENARIOS. */
  name: string
  kind: ScenarioKind
  /** Sessions in the cluster. */
  sessions: number
  /** Nodes holding them; a rebalance adds one empty node. */
  nodes: number
  /** Sessions on node-1 (default: an even share). */
  onFirstNode?: number
  rate: number | 'auto'
  concurrency: number
  /** Logins a second each node serves. */
  nodeCapacity: number
  seed: number
  mix?: ClientMix
  /** The table is laid out whole up to this many rows; beyond, only its first this-many rows (cli-table3 grows faster than the rows). */
  renderMaxRows: number
}

/** What one phase measured, and what it read. */
export interface PhaseResult extends PhaseFigures {
  /** Directory calls and rows in this phase, by method. */
  directory?: DirectoryUsage
  /** The table was laid out for this many of the rows only. */
  renderedRows?: number
}

export interface PlanStepResult {
  /** RSS with the simulated cluster built, before any phase (MB). */
  baselineRssMb: number
  planned: number
  /** What identifies the plan: the same in every step that plans the same sessions to the same targets. */
  fingerprint: string
  phases: Record<string, PhaseResult>
}

export interface RunFigures {
  exitCode: number
  summary: TransferReport['summary']
  /** Simulated time from the run's start to its report (s). */
  simulatedS: number
  /** The highest pace the report shows (moves/s) and how many pace points it has. */
  highestRate: number
  pacePoints: number
  logins: number
  failedLogins: number
  peakLoginQueue: number
  /** Companion actions and packets, by kind. */
  actions: Record<string, number>
}

export interface RunStepResult extends PlanStepResult {
  run: RunFigures
  /** The run's journal (the report step reads it; main.ts removes its state dir). */
  stateDir: string
  runId: string
  journal: {bytes: number; lines: number}
}

export interface ReportStepResult {
  baselineRssMb: number
  rows: number
  phases: Record<string, PhaseResult>
}

/** SCALE_PROFILE_DIR: each phase is also profiled alone, into <dir>/<scenario>-<sessions>-<phase>.cpuprofile. */
function profileOf(spec: ScenarioSpec, phase: string): {dir: string; name: string} | undefined {
  const dir = process.env.SCALE_PROFILE_DIR
  return dir ? {dir, name: `${spec.name}-${spec.sessions}-${phase}`} : undefined
}

/** 2026-12-02T00:00:00Z: run ids and report dates look like a real run's. */
const EPOCH = Date.UTC(2026, 11, 2)

interface Simulation {
  clock: VirtualClock
  world: SimulatedWorld
  config: Config
}

function simulate(spec: ScenarioSpec): Simulation {
  const clock = new VirtualClock(EPOCH)
  const world = new SimulatedWorld({
    clock,
    random: seededRandom(spec.seed),
    nodes: spec.nodes,
    emptyNodes: spec.kind === 'rebalance' ? 1 : 0,
    sessions: spec.sessions,
    onFirstNode: spec.onFirstNode,
    mix: spec.mix ?? DEFAULT_MIX,
    nodeCapacity: spec.nodeCapacity,
  })
  return {clock, world, config: parseConfig(configText(world))}
}

function request(spec: ScenarioSpec, world: SimulatedWorld): TransferRequest {
  return spec.kind === 'drain' ? {command: 'drain', source: 'node-1'} : {command: 'rebalance', to: world.nodes.at(-1)!.name}
}

async function measuredPlan(
  {clock, world, config}: Simulation,
  spec: ScenarioSpec,
  stateDir: string,
  nodeCalls: boolean,
): Promise<{plan: TransferPlan; phase: PhaseResult}> {
  const directory = simDirectory(world, {nodeCalls})
  const control = simControl(world)
  const checked = checkRequest(config, request(spec, world), {stateDir})
  const {value, figures} = await measure(
    () => clock.run(planTransfer(checked, {config, directory, control, stateDir})),
    profileOf(spec, nodeCalls ? 'plan-node-calls' : 'plan'),
  )
  return {plan: value, phase: {...figures, directory: directory.usage}}
}

/** The plan from the stock directory's calls only (listSessions: the whole cluster). */
export async function planStep(spec: ScenarioSpec, say: (line: string) => void): Promise<PlanStepResult> {
  const simulation = simulate(spec)
  const baselineRssMb = process.memoryUsage.rss() / 2 ** 20
  const stateDir = mkdtempSync(join(tmpdir(), 'xtransfer-scale-'))
  try {
    const {plan, phase} = await measuredPlan(simulation, spec, stateDir, false)
    say(`plan (whole listing): ${plan.items.length} planned, ${fmt(phase)}`)
    return {baselineRssMb, planned: plan.items.length, fingerprint: fingerprint(plan), phases: {plan: phase}}
  } finally {
    rmSync(stateDir, {recursive: true, force: true})
  }
}

/** `xtransfer drain node-1` / `rebalance --to node-21` in one process, then the journal written again alone. */
export async function runStep(spec: ScenarioSpec, say: (line: string) => void): Promise<RunStepResult> {
  const simulation = simulate(spec)
  const baselineRssMb = process.memoryUsage.rss() / 2 ** 20
  const stateDir = mkdtempSync(join(tmpdir(), 'xtransfer-scale-'))
  try {
    return await runIn(stateDir, simulation, spec, say, baselineRssMb)
  } catch (error) {
    rmSync(stateDir, {recursive: true, force: true})
    throw error
  }
}

async function runIn(stateDir: string, simulation: Simulation, spec: ScenarioSpec, say: (line: string) => void, baselineRssMb: number): Promise<RunStepResult> {
  const {clock, world, config} = simulation
  const phases: Record<string, PhaseResult> = {}
  // With the optional per-node calls, as the companion's directory has them.
  const planned = await measuredPlan(simulation, spec, stateDir, true)
  const planName = 'plan, node calls'
  phases[planName] = planned.phase
  const plan = planned.plan
  const planFingerprint = fingerprint(plan)
  say(`${planName}: ${plan.items.length} planned, ${fmt(planned.phase)}`)

  const directory = simDirectory(world, {nodeCalls: true})
  const control = simControl(world)
  const choices: TransferChoices = {
    namespace: 'srvxfr',
    from: 'admin',
    rate: spec.rate,
    concurrency: spec.concurrency,
    waitMs: 60_000,
    ackTimeoutMs: 10_000,
    fallback: 'none',
    methods: [...ALL_METHODS],
    cordon: spec.kind === 'drain',
  }
  const runStarted = clock.now()
  const ran = await measure(() => clock.run(runTransfer(plan, choices, {config, directory, control, stateDir, clock})), profileOf(spec, 'run'))
  phases.run = {...ran.figures, directory: directory.usage}
  const {report, runId, exitCode} = ran.value
  const simulatedS = (clock.now() - runStarted) / 1000
  say(`run: ${report.summary.moved} moved of ${report.summary.total} in ${simulatedS.toFixed(0)} simulated s, ${fmt(ran.figures)}`)
  const run: RunFigures = {
    exitCode,
    summary: report.summary,
    simulatedS,
    highestRate: (report.pace ?? []).reduce((most, point) => Math.max(most, point.rate), 0),
    pacePoints: report.pace?.length ?? 0,
    logins: world.figures.logins,
    failedLogins: world.figures.failedLogins,
    peakLoginQueue: world.figures.peakQueue,
    actions: {...control.usage},
  }

  // The journal alone: the run's lines appended again through the writer (one write(2) each).
  const journalPath = join(runsIn(stateDir), `${runId!}.ndjson`)
  const text = readFileSync(journalPath, 'utf8')
  const entries = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalEntry)
  const copyDir = mkdtempSync(join(tmpdir(), 'xtransfer-scale-journal-'))
  try {
    const wrote = await measure(() => {
      const writer = openJournal(copyDir, 'copy')
      for (const entry of entries) writer.append(entry)
      writer.close()
    })
    phases['journal write'] = wrote.figures
    say(`journal write: ${entries.length} lines, ${fmt(wrote.figures)}`)
  } finally {
    rmSync(copyDir, {recursive: true, force: true})
  }
  return {
    baselineRssMb,
    planned: plan.items.length,
    fingerprint: planFingerprint,
    phases,
    run,
    stateDir,
    runId: runId!,
    journal: {bytes: statSync(journalPath).size, lines: entries.length},
  }
}

/** `xtransfer report RUN` in a fresh process, then its parts one at a time. */
export async function reportStep(spec: ScenarioSpec, stateDir: string, runId: string, say: (line: string) => void): Promise<ReportStepResult> {
  const baselineRssMb = process.memoryUsage.rss() / 2 ** 20
  const phases: Record<string, PhaseResult> = {}
  const runs = runsIn(stateDir)
  // As src/commands/report.ts does under --json, less the table (measured apart below).
  const whole = await measure(() => JSON.stringify(reportFromJournal(readRun(runs, runId)).report, null, 2).length, profileOf(spec, 'report-run'))
  phases['report RUN'] = whole.figures
  say(`report RUN (--json, no table): ${fmt(whole.figures)}`)
  const read = await measure(() => readRun(runs, runId))
  phases['journal read'] = read.figures
  const built = await measure(() => reportFromJournal(read.value).report)
  phases['report build'] = built.figures
  const json = await measure(() => JSON.stringify(built.value, null, 2).length)
  phases['report JSON'] = json.figures
  const report = built.value
  const rows = report.sessions.length
  const style = new Chalk({level: 0})
  // What an operator sees by default: the summary and the exceptions (every row up to 300).
  const rendered = await measure(() => renderReport(report, {style, wide: false, header: true}).length)
  phases['report render'] = rendered.figures
  say(`report render (default view): ${rows} rows, ${fmt(rendered.figures)}`)
  // -o wide lays out every row: timed on at most renderMaxRows of them.
  const shown = rows <= spec.renderMaxRows ? report : {...report, sessions: report.sessions.slice(0, spec.renderMaxRows)}
  const wide = await measure(() => renderReport(shown, {style, wide: true, header: true}).length)
  phases['report render -o wide'] = {...wide.figures, ...(shown.sessions.length < rows ? {renderedRows: shown.sessions.length} : {})}
  say(`report render (-o wide): ${shown.sessions.length} of ${rows} rows, ${fmt(wide.figures)}`)
  return {baselineRssMb, rows, phases}
}

/** The sessions, their targets and the JIDs known, as one string to compare plans by. */
function fingerprint(plan: TransferPlan): string {
  let hash = 0
  const mix = (text: string) => {
    for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0
  }
  for (const item of plan.items) mix(`${item.jid}>${item.target.name};`)
  const known = [...plan.knownJids].sort()
  for (const jid of known) mix(jid)
  return `${plan.items.length} items, ${known.length} known JIDs, #${(hash >>> 0).toString(16)}`
}

function configText(world: SimulatedWorld): string {
  return [
    'domain: example.test',
    "admin: {jid: admin@example.test, service: 'xmpp://127.0.0.1:5222'}",
    "directory: {type: ejabberd, api: 'http://127.0.0.1:5281/api'}",
    'nodes:',
    ...world.nodes.map((node) => `  ${node.name}: {address: '${node.address}', server: '${node.server}'}`),
  ].join('\n')
}

function fmt(figures: PhaseFigures): string {
  return `${(figures.cpuMs / 1000).toFixed(2)} s CPU, peak ${figures.peakRssMb.toFixed(0)} MB`
}
