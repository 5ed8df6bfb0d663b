import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'

import {judgeTargets} from '../../bench/analysis/targets.js'
import {renderMarkdown} from '../../bench/render/markdown.js'
import {renderTable} from '../../bench/render/table.js'
import type {BenchResult} from '../../bench/results.js'

// Real runs kept in bench/results/, with the Markdown the bench wrote for each at the time.
// (The *-0bf303d files come from an earlier bench with other rows and targets.)
const RUNS = [
  'bench/results/2026-11-26-2000',
  'bench/results/2026-11-26-5000',
  'bench/results/resend-if-offline/2026-11-26-2000',
  'bench/results/sm-off/2026-11-26-2000',
  'bench/results/view-probe/2026-11-26-2000',
  'bench/results/watcher-5000/2026-11-26-5000',
]
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (stem: string) => JSON.parse(readFileSync(`${ROOT}${stem}.json`, 'utf8')) as BenchResult

for (const stem of RUNS) {
  test(`${stem}: the Markdown and the targets come out as the bench wrote them`, () => {
    const result = read(stem)
    assert.equal(renderMarkdown(result) + '\n', readFileSync(`${ROOT}${stem}.md`, 'utf8'))
    assert.deepEqual(judgeTargets(result), result.targets)
  })
}

test('the terminal table: one column per phase that ran, every row as wide as the widest cell', () => {
  const result = read(RUNS[0])
  const lines = renderTable(result).split('\n')
  const header = lines[3]
  for (const title of [
    'floor (fresh logins)',
    'drain --rate 87',
    'drain --rate 50 (default)',
    'drain --rate 50 (default), break-before-make',
    'kick-all',
    'stop node-1',
  ])
    assert.ok(header.includes(title), title)
  const rows = lines.slice(5)
  assert.equal(rows.length, 24)
  assert.equal(new Set(lines.slice(3).map((line) => line.length)).size, 1)
  assert.match(rows.find((row) => row.startsWith('messages sent / delivered / lost / duplicated')) ?? '', /–\s+\d+ \/ \d+ \/ \d+ \/ \d+/)
})
