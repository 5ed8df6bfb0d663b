// The bench's table for the terminal: one column per phase, one row per figure.
import {describeModules, figureRows, phaseColumns} from './figures.mjs'

export function renderTable(result) {
  const columns = phaseColumns(result)
  const rows = figureRows(result.settings.users)
  const table = [['', ...columns.map((c) => c.title)], ...rows.map(([label, cell]) => [label, ...columns.map(cell)])]
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)))
  const line = (row) => row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ')
  const m = result.machine
  const modules = describeModules(result)
  return [`xtransfer bench, N = ${result.settings.users}, ${m.cores} cores, Node ${m.node}, ${result.date}`, ...(modules ? [modules] : []), '',
    line(table[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n')
}

export function renderTargets(result) {
  const mark = (met) => (met === true ? 'met   ' : met === false ? 'MISSED' : 'n/a   ')
  return ['', 'targets', ...result.targets.map((t) => `  ${mark(t.met)} ${t.target}: ${t.value}`)].join('\n')
}
