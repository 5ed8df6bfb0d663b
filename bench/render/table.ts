// The bench's table for the terminal: one column per phase, one row per figure; then the targets.
import type {BenchResult, Target} from '../results.js'
import {describeModules, figureRows, phaseColumns} from './figures.js'

export function renderTable(result: BenchResult): string {
  const columns = phaseColumns(result)
  const rows = figureRows(result.settings.users, result.phases.floor?.timeS, result.loadAvg1m)
  const table = [['', ...columns.map((c) => c.title)], ...rows.map(([label, cell]) => [label, ...columns.map(cell)])]
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)))
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ')
  const m = result.machine
  const modules = describeModules(result)
  return [
    `xtransfer bench, N = ${result.settings.users}, ${m.cores} cores, Node ${m.node}, ${result.date}`,
    ...(modules ? [modules] : []),
    '',
    line(table[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...table.slice(1).map(line),
  ].join('\n')
}

export function renderTargets(result: BenchResult): string {
  const mark = (met: Target['met']) => (met === true ? 'met   ' : met === false ? 'MISSED' : 'n/a   ')
  return ['', 'targets', ...(result.targets ?? []).map((t) => `  ${mark(t.met)} ${t.target}: ${t.value}`)].join('\n')
}
