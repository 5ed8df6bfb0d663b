// The figures of one bench run as Markdown (the table and targets of docs/performance.md).
// Also runnable: npx tsx bench/render/markdown.ts bench/results/<date>-<N>.json
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {BenchResult} from '../results.js'
import {describeModules, describeRun, figureRows, phaseColumns} from './figures.js'

export function renderMarkdown(result: BenchResult): string {
  const N = result.settings.users
  const columns = phaseColumns(result)
  const rows = figureRows(N, result.phases.floor?.timeS, result.loadAvg1m)
  const modules = describeModules(result)
  const lines = [
    `**N = ${N}** — ${describeRun(result)}`,
    ...(modules ? ['', `${modules[0].toUpperCase()}${modules.slice(1)}.`] : []),
    '',
    `| N = ${N} | ${columns.map((c) => c.title).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...rows.map(([label, cell]) => `| ${label} | ${columns.map(cell).join(' | ')} |`),
    '',
    '| target | N | | measured |',
    '|---|---|---|---|',
    ...(result.targets ?? []).map(
      (t) => `| ${t.target} | ${N} | ${t.met === true ? 'met' : t.met === false ? '**missed**' : 'n/a'} | ${t.value.replace(/\|/g, '/')} |`,
    ),
  ]
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tables = process.argv.slice(2).map((path) => renderMarkdown(JSON.parse(readFileSync(path, 'utf8')) as BenchResult))
  process.stdout.write(tables.join('\n\n') + '\n')
}
