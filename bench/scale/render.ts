// bench:scale's results as Markdown: printed by main.ts and written beside the JSON, to paste
// into docs/performance.md. `npx tsx bench/scale/render.ts bench/results/scale-<date>.json`
// prints a stored run's.
import {readFileSync} from 'node:fs'

import {growthOf, judgeTargets, PHASE_ORDER, PHASE_WHAT, perTenThousand, type ScenarioResult, type TargetResult} from './analysis.js'

export interface ScaleRun {
  date: string
  machine: {cores: number; cpuModel: string | null; node: string; loadAvgAtStart: number[]}
  settings: Record<string, unknown>
  results: ScenarioResult[]
  targets: TargetResult[]
}

const s = (ms: number) => (ms >= 10_000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2))
const n = (value: number) => value.toLocaleString('en-US')
const k = (value: number | null) => (value === null ? '–' : value.toFixed(2))
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1)

export function renderScale(run: ScaleRun): string {
  const lines: string[] = []
  const sizes = [...new Set(run.results.map((result) => result.spec.sessions))].sort((a, b) => a - b)
  lines.push(
    `**bench:scale** — ${run.date.slice(0, 10)}, ${run.machine.cores} cores (${run.machine.cpuModel ?? '?'}), Node ${run.machine.node}, ` +
      `load average at start ${run.machine.loadAvgAtStart.join(' ')}; clusters of ${sizes.map(n).join(' / ')} sessions on ${String(run.settings.nodes)} nodes. ` +
      'CPU is user + system of the process; peak RSS is the process high-water mark during the phase (each step in its own process).',
    '',
  )
  lines.push('### Targets', '', '| target | | measured |', '|---|---|---|')
  for (const target of run.targets) lines.push(`| ${target.target} | ${target.verdict === 'missed' ? '**missed**' : target.verdict} | ${target.measured} |`)
  lines.push('')

  const names = [...new Set(run.results.map((result) => result.name))]
  for (const name of names) {
    const runs = run.results.filter((result) => result.name === name).sort((a, b) => a.spec.sessions - b.spec.sessions)
    lines.push(`### ${name}: ${runs[0]!.what}`, '')
    const head = runs.map((result) => `${n(result.spec.sessions)} sessions, ${n(result.moved)} moved`)
    lines.push(`| phase: CPU s / peak RSS MB | ${head.join(' | ')} | CPU per 10^4 moved (s) | growth k: CPU ∝ moved^k (cluster^k) |`)
    lines.push(`|---|${runs.map(() => '---:').join('|')}|---:|---:|`)
    const growth = new Map(growthOf(runs).map((g) => [g.phase, g]))
    for (const phase of PHASE_ORDER) {
      if (!runs.some((result) => result.phases[phase])) continue
      const cells = runs.map((result) => {
        const figures = result.phases[phase]
        if (!figures) return '–'
        const capped = figures.renderedRows !== undefined ? ` (${n(figures.renderedRows)} rows)` : ''
        return `${s(figures.cpuMs)} / ${figures.peakRssMb.toFixed(0)}${capped}`
      })
      const per = runs.map((result) => {
        const figures = result.phases[phase]
        const value = figures && figures.renderedRows === undefined ? perTenThousand(figures.cpuMs, result.moved) : null
        return value === null ? '–' : s(value)
      })
      const g = growth.get(phase)
      const capped = runs.some((result) => result.phases[phase]?.renderedRows !== undefined)
      const grows = !g || capped ? '–' : g.fromMoved === g.toMoved ? `(${k(g.exponentCluster)})` : `${k(g.exponentMoved)} (${k(g.exponentCluster)})`
      lines.push(`| ${phase} | ${cells.join(' | ')} | ${per.join(' / ')} | ${grows} |`)
    }
    lines.push(`| process RSS before the first phase (plan / run / report step) | ${runs.map((result) => baselines(result)).join(' | ')} | | |`)
    lines.push('')
    lines.push('| the run | ' + runs.map((result) => n(result.spec.sessions)).join(' | ') + ' |')
    lines.push(`|---|${runs.map(() => '---:').join('|')}|`)
    const row = (label: string, cell: (result: ScenarioResult) => string) => lines.push(`| ${label} | ${runs.map(cell).join(' | ')} |`)
    row('moved / planned; exit', (result) => `${n(result.run.summary.moved)} / ${n(result.moved)}; ${result.run.exitCode}`)
    row('moved by packet / handover / redirect / close', (result) => {
      const m = result.run.summary.perMethod
      return `${n(m.packet ?? 0)} / ${n(m.handover ?? 0)} / ${n(m.redirect ?? 0)} / ${n(m.close ?? 0)}`
    })
    row('not moved / went offline / not back', (result) => `${result.run.summary.notMoved} / ${result.run.summary.wentOffline} / ${result.run.summary.notBack}`)
    row('simulated duration (s); highest pace (moves/s)', (result) => `${result.run.simulatedS.toFixed(0)}; ${result.run.highestRate}`)
    row('logins / failed (simulated cluster)', (result) => `${n(result.run.logins)} / ${n(result.run.failedLogins)}`)
    row('directory rows read: plan / run', (result) => `${n(rows(result, planPhase(result)))} / ${n(rows(result, 'run'))}`)
    row(
      '… the simulated directory building them, s (in the CPU above): plan / run',
      (result) => `${s(simMs(result, planPhase(result)))} / ${s(simMs(result, 'run'))}`,
    )
    row(
      'journal: MB / lines / bytes per session',
      (result) => `${mb(result.journal.bytes)} / ${n(result.journal.lines)} / ${Math.round(result.journal.bytes / Math.max(1, result.journal.rows))}`,
    )
    if (runs.some((result) => result.plansAgree !== undefined))
      row('plan from node calls = plan from the listing', (result) => (result.plansAgree ? 'yes' : '**no**'))
    lines.push('')
  }
  lines.push('Phases:', '')
  for (const phase of PHASE_ORDER) lines.push(`- **${phase}**: ${PHASE_WHAT[phase]}`)
  return lines.join('\n')
}

function planPhase(result: ScenarioResult): string {
  return result.phases['plan, node calls'] ? 'plan, node calls' : 'plan'
}

function rows(result: ScenarioResult, phase: string): number {
  return Object.values(result.phases[phase]?.directory ?? {}).reduce((sum, usage) => sum + usage.rows, 0)
}

function simMs(result: ScenarioResult, phase: string): number {
  return Object.values(result.phases[phase]?.directory ?? {}).reduce((sum, usage) => sum + usage.simMs, 0)
}

function baselines(result: ScenarioResult): string {
  const b = result.baselineRssMb
  return [b.plan, b.run, b.report].map((value) => (value === undefined ? '–' : value.toFixed(0))).join(' / ')
}

// As a script: print a stored run's Markdown.
if (process.argv[1]?.endsWith('render.ts') && process.argv[2]) {
  const run = JSON.parse(readFileSync(process.argv[2], 'utf8')) as ScaleRun
  process.stdout.write(renderScale({...run, targets: run.targets ?? judgeTargets(run.results)}) + '\n')
}
