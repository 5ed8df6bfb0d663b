import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'

import {judgeTargets} from '../../bench/analysis/targets.js'
import {figureRows} from '../../bench/render/figures.js'
import {renderMarkdown} from '../../bench/render/markdown.js'
import {renderTable} from '../../bench/render/table.js'
import type {BenchResult} from '../../bench/results.js'

// Real runs kept in bench/results/, with the Markdown the bench wrote for each (the runs of
// 2026-12-02 were all stopped part way: their Markdown was written afterwards from the JSON the
// bench saves after every phase), and the columns each one must have.
const RUNS: Record<string, string[]> = {
  'bench/results/2026-12-02-2000': ['floor (fresh logins)', 'drain (default: --rate auto)', 'drain --rate 22 (0.9 × floor)'],
  'bench/results/2026-12-02-2000-b': ['floor (fresh logins)', 'drain --rate 17 (0.9 × floor)'],
  'bench/results/2026-12-02-300': [
    'floor (fresh logins)',
    'drain (default: --rate auto)',
    'drain --rate 10 (0.9 × floor)',
    'drain --rate 50',
    'drain (default: --rate auto), unmodified @xmpp/client (ladder)',
    'kick-all (unmodified @xmpp/client)',
  ],
}
// Runs of an earlier bench (other phases, rows and targets): still read as the same shape.
const EARLIER = [
  'bench/results/2026-11-26-2000',
  'bench/results/2026-11-26-5000',
  'bench/results/resend-if-offline/2026-11-26-2000',
  'bench/results/sm-off/2026-11-26-2000',
  'bench/results/view-probe/2026-11-26-2000',
  'bench/results/watcher-5000/2026-11-26-5000',
]
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (stem: string) => JSON.parse(readFileSync(`${ROOT}${stem}.json`, 'utf8')) as BenchResult

for (const stem of Object.keys(RUNS)) {
  test(`${stem}: the Markdown and the targets come out as the bench wrote them`, () => {
    const result = read(stem)
    assert.equal(renderMarkdown(result) + '\n', readFileSync(`${ROOT}${stem}.md`, 'utf8'))
    assert.deepEqual(judgeTargets(result), result.targets)
  })
}

for (const stem of EARLIER) {
  test(`${stem} (an earlier bench): one column per phase it ran, and its figures`, () => {
    const result = read(stem)
    const markdown = renderMarkdown(result)
    const header = markdown.split('\n').find((line) => line.startsWith(`| N = ${result.settings.users} |`)) ?? ''
    assert.equal(header.split('|').length - 3, Object.keys(result.phases).length, header)
    // Its drains (all at a fixed rate then) are titled by their rate.
    const drains = [result.phases.drain, result.phases.drainDefault, result.phases.drainBbm].filter((run) => run !== undefined)
    assert.ok(drains.length > 0)
    for (const run of drains) assert.ok(header.includes(`drain --rate ${run.rate}`), header)
    assert.match(markdown, /\| messages sent \/ delivered \/ lost \/ duplicated \|( – \|)? \d+ \/ \d+ \/ \d+ \/ \d+ \|/)
  })
}

for (const [stem, titles] of Object.entries(RUNS)) {
  test(`${stem}: the terminal table has one column per phase that ran, every row as wide as the widest cell`, () => {
    const result = read(stem)
    const lines = renderTable(result).split('\n')
    const header = lines[3]
    for (const title of titles) assert.ok(header.includes(title), `${title} in ${header}`)
    assert.equal(header.trim().split(/\s{2,}/).length, titles.length, header)
    const rows = lines.slice(5)
    assert.equal(rows.length, figureRows(result.settings.users).length)
    assert.equal(new Set(lines.slice(3).map((line) => line.length)).size, 1)
    assert.match(rows.find((row) => row.startsWith('messages sent / delivered / lost / duplicated')) ?? '', /–\s+\d+ \/ \d+ \/ \d+ \/ \d+/)
  })
}
