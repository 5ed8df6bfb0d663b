// bench:scale's figures as results: each scenario's phases at each cluster size, how they grow,
// and the issue's targets (issue 14 §4) judged on them. Pure: main.ts measures, this reads.
import type {PhaseResult, RunFigures, ScenarioSpec} from './scenario.js'

/** Which process a phase ran in (scenario.ts). */
export type Step = 'plan' | 'run' | 'report'

export interface StepPhase extends PhaseResult {
  step: Step
}

export interface ScenarioResult {
  name: string
  what: string
  spec: ScenarioSpec
  /** Sessions planned to move. */
  moved: number
  /** The plan from the per-node calls was the plan from the whole listing. */
  plansAgree?: boolean
  /** RSS of each step's process with the simulation built, before its first phase (MB). */
  baselineRssMb: Partial<Record<Step, number>>
  phases: Record<string, StepPhase>
  run: RunFigures
  journal: {bytes: number; lines: number; rows: number}
}

/** The phases in the order they are shown. */
export const PHASE_ORDER = [
  'plan',
  'plan, node calls',
  'run',
  'journal write',
  'report RUN',
  'journal read',
  'report build',
  'report JSON',
  'report render',
  'report render -o wide',
] as const

/** What each phase is, for the tables. */
export const PHASE_WHAT: Record<string, string> = {
  plan: 'planTransfer with the stock directory calls (listSessions: the whole cluster)',
  'plan, node calls':
    'planTransfer with the optional sessionsOn + sessionCounts (and sessionsOf for the moving users): a drain lists its node, a rebalance one node at a time',
  run: 'runTransfer: pacer, ladder, tracker, journal writes, report build; the simulated cluster and clients included',
  'journal write': "the run's journal lines appended again through the journal writer, alone",
  'report RUN': '`report RUN --json` less the table: journal read + report build + JSON, in a fresh process',
  'journal read': 'readRun: the journal replayed',
  'report build': 'reportFromJournal: the report rebuilt from the replayed journal',
  'report JSON': 'JSON.stringify of the report (what --json prints)',
  'report render': 'renderReport as an operator sees it by default: the summary, and beyond 300 rows only the exceptions',
  'report render -o wide': 'renderReport -o wide: every row laid out (capped: see the rows)',
}

/** CPU below this (ms) is too small for a growth exponent to mean anything. */
const NOISE_MS = 30

export interface Growth {
  phase: string
  /** From the smallest cluster to the largest. */
  fromSessions: number
  toSessions: number
  fromMoved: number
  toMoved: number
  cpuRatio: number | null
  /** k in CPU ∝ moved^k (1: linear in the sessions moved); null when moved did not change or CPU is noise. */
  exponentMoved: number | null
  /** k in CPU ∝ cluster^k (0: the cluster's size does not matter). */
  exponentCluster: number | null
  /** The same for the peak RSS above the step's baseline. */
  memoryExponentMoved: number | null
}

/** How each phase of one scenario grew from its smallest cluster to its largest. */
export function growthOf(runs: ScenarioResult[]): Growth[] {
  const sorted = [...runs].sort((a, b) => a.spec.sessions - b.spec.sessions)
  const first = sorted[0]
  const last = sorted.at(-1)
  if (!first || !last || first === last) return []
  return PHASE_ORDER.filter((phase) => first.phases[phase] && last.phases[phase]).map((phase) => {
    const a = first.phases[phase]!
    const b = last.phases[phase]!
    const cpuRatio = a.cpuMs > 0 ? b.cpuMs / a.cpuMs : null
    const meaningful = cpuRatio !== null && a.cpuMs >= NOISE_MS
    const above = (run: ScenarioResult, figures: StepPhase) => Math.max(1, figures.peakRssMb - (run.baselineRssMb[figures.step] ?? 0))
    return {
      phase,
      fromSessions: first.spec.sessions,
      toSessions: last.spec.sessions,
      fromMoved: first.moved,
      toMoved: last.moved,
      cpuRatio,
      exponentMoved: meaningful ? exponent(cpuRatio, last.moved / first.moved) : null,
      exponentCluster: meaningful ? exponent(cpuRatio, last.spec.sessions / first.spec.sessions) : null,
      memoryExponentMoved: exponent(above(last, b) / above(first, a), last.moved / first.moved),
    }
  })
}

function exponent(ratio: number, base: number): number | null {
  return base > 1.01 && ratio > 0 ? Math.log(ratio) / Math.log(base) : null
}

/** CPU ms per 10^4 sessions moved. */
export function perTenThousand(cpuMs: number, moved: number): number | null {
  return moved > 0 ? (cpuMs * 10_000) / moved : null
}

function directoryMs(figures: PhaseResult): number {
  return Object.values(figures.directory ?? {}).reduce((sum, usage) => sum + usage.simMs, 0)
}

function rowsOf(figures: PhaseResult): number {
  return Object.values(figures.directory ?? {}).reduce((sum, usage) => sum + usage.rows, 0)
}

export type Verdict = 'met' | 'missed' | 'n/a'

export interface TargetResult {
  target: string
  verdict: Verdict
  measured: string
}

const PLAN_TARGET_MS = 2_000
const RSS_TARGET_MB = 400
const REPORT_TARGET_MS = 3_000

/**
 * Issue 14 §4's targets on the largest cluster measured: the drain's plan (both ways), the peak
 * RSS of every process, and `report RUN` of the drain's journal. Judged on CPU (the machine is
 * shared: wall time is shown beside it).
 */
export function judgeTargets(results: ScenarioResult[]): TargetResult[] {
  const largest = Math.max(...results.map((result) => result.spec.sessions))
  const drains = results.filter((result) => result.spec.kind === 'drain' && result.spec.onFirstNode === undefined && result.spec.sessions === largest)
  const drain = drains.find((result) => result.name === 'drain-fixed') ?? drains[0]
  const targets: TargetResult[] = []
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  const size = `${drain?.moved.toLocaleString('en-US')} of ${largest.toLocaleString('en-US')}`
  for (const [phase, how] of [
    ['plan, node calls', 'with the optional per-node directory calls'],
    ['plan', 'with the stock calls (the whole cluster listed)'],
  ] as const) {
    const figures = drain?.phases[phase]
    targets.push({
      target: `plan a drain of ${size} in ≤ 2 s CPU, ${how}`,
      verdict: figures ? (figures.cpuMs <= PLAN_TARGET_MS ? 'met' : 'missed') : 'n/a',
      measured: figures
        ? `${s(figures.cpuMs)} CPU (${s(figures.wallMs)} wall), peak ${figures.peakRssMb.toFixed(0)} MB; ` +
          `of it ${s(directoryMs(figures))} building the simulated directory's ${rowsOf(figures).toLocaleString('en-US')} rows`
        : 'not measured',
    })
  }
  const atLargest = results.filter((result) => result.spec.sessions === largest)
  const peaks = atLargest.flatMap((result) => Object.entries(result.phases).map(([phase, figures]) => ({result, phase, figures})))
  const worst = peaks.reduce<(typeof peaks)[number] | undefined>(
    (top, peak) => (!top || peak.figures.peakRssMb > top.figures.peakRssMb ? peak : top),
    undefined,
  )
  const over = peaks.filter((peak) => peak.figures.peakRssMb > RSS_TARGET_MB)
  targets.push({
    target: `peak RSS ≤ 400 MB at ${largest.toLocaleString('en-US')} sessions, every phase`,
    verdict: worst ? (over.length === 0 ? 'met' : 'missed') : 'n/a',
    measured: worst
      ? `highest ${worst.figures.peakRssMb.toFixed(0)} MB (${worst.result.name}, ${worst.phase})` +
        (over.length > 0 ? `; over: ${over.map((peak) => `${peak.result.name} ${peak.phase} ${peak.figures.peakRssMb.toFixed(0)} MB`).join(', ')}` : '')
      : 'not measured',
  })
  const reportRun = drain?.phases['report RUN']
  const render = drain?.phases['report render']
  targets.push({
    target: `\`report RUN\` of a ${drain?.journal.rows.toLocaleString('en-US')}-row journal in ≤ 3 s (without the table)`,
    verdict: reportRun ? (reportRun.cpuMs <= REPORT_TARGET_MS ? 'met' : 'missed') : 'n/a',
    measured: reportRun ? `${s(reportRun.cpuMs)} CPU (${s(reportRun.wallMs)} wall), peak ${reportRun.peakRssMb.toFixed(0)} MB` : 'not measured',
  })
  if (render && drain) {
    const rows = render.renderedRows ?? drain.journal.rows
    targets.push({
      target: `\`report RUN\` with its default view (the summary and the exceptions)`,
      verdict: render.renderedRows !== undefined || render.cpuMs + (reportRun?.cpuMs ?? 0) > REPORT_TARGET_MS ? 'missed' : 'met',
      measured: `the table alone: ${s(render.cpuMs)} CPU for ${rows.toLocaleString('en-US')} of ${drain.journal.rows.toLocaleString('en-US')} rows`,
    })
  }
  return targets
}
