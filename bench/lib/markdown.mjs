// The figures of one bench run as Markdown (the table and targets of docs/performance.md).
// Also runnable: node bench/lib/markdown.mjs bench/results/<date>-<N>.json
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const show = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : String(v))
const slash = (...v) => (v.every((x) => x === null || x === undefined) ? '–' : v.map(show).join(' / '))

export function renderMarkdown(result) {
  const N = result.settings.users
  const {floor, drain, drainDefault, kick} = result.phases
  const columns = [
    floor && {title: 'floor (fresh logins)', kind: 'floor', phase: floor},
    drain && {title: `drain --rate ${drain.rate}`, kind: 'drain', phase: drain},
    drainDefault && {title: `drain --rate ${drainDefault.rate} (default)`, kind: 'drain', phase: drainDefault},
    kick && {title: 'kick-all', kind: 'kick', phase: kick},
  ].filter(Boolean)
  const rows = [
    ['time to 99 % / 100 % online elsewhere (s)', (c) => c.kind === 'floor' ? slash(c.phase.online99S, c.phase.timeS) : c.kind === 'drain' ? slash(c.phase.reconnected99S, c.phase.reconnected100S) : slash(c.phase.back99S, c.phase.back100S)],
    ['xtransfer wall time, start to exit (s)', (c) => c.kind === 'drain' ? show(c.phase.cli.wallS) + (c.phase.report?.summary.moved === N ? '' : ` (stopped, ${c.phase.report?.summary.moved ?? '?'} moved)`) : '–'],
    ['… before the first packet (s)', (c) => c.kind === 'drain' ? show(c.phase.cli.untilFirstPacketS) : '–'],
    ['sending (s) / packets or kicks per s', (c) => c.kind === 'drain' ? slash(c.phase.sentS, c.phase.packetsPerS) : c.kind === 'kick' ? slash(c.phase.kickS, c.phase.kicksPerS) : '–'],
    ['tracked by xtransfer 99 % / 100 % (s)', (c) => c.kind === 'drain' ? slash(c.phase.tracked99S, c.phase.tracked100S) : '–'],
    ['logins/s: mean / peak in 1 s', (c) => c.kind === 'floor' ? slash(c.phase.loginsPerS, c.phase.peakLoginsPerS) : c.kind === 'drain' ? slash(c.phase.reconnected100S ? Math.round(N / c.phase.reconnected100S) : null, c.phase.peakReloginsPerS) : slash(c.phase.meanLoginsPerS, c.phase.peakLoginsPerS)],
    ['reconnect latency p50 / p95 / p99 (ms, report)', (c) => c.kind === 'drain' ? slash(c.phase.latencyMs.p50, c.phase.latencyMs.p95, c.phase.latencyMs.p99) : '–'],
    ['client move p50 / p99 (ms, fleet)', (c) => c.kind === 'drain' ? slash(c.phase.fleetMoveMs.p50, c.phase.fleetMoveMs.p99) : '–'],
    ['moved / tracked to the right node', (c) => c.kind === 'drain' ? slash(c.phase.report?.summary.moved, c.phase.trackedToRightNode) : '–'],
    ['failed logins', (c) => show(c.phase.failedLogins)],
    ['offline gap per user p50 / p99 / max (ms)', (c) => c.kind === 'floor' ? '–' : slash(c.phase.offlineGapMs.p50, c.phase.offlineGapMs.p99, c.phase.offlineGapMs.max)],
    ['xtransfer CPU (s) / peak RSS (MB)', (c) => c.kind === 'drain' ? slash(c.phase.cli.cpuS, c.phase.cli.peakRssMb) : '–'],
    ['directory calls / MB read', (c) => c.kind === 'drain' && c.phase.directory ? slash(c.phase.directory.calls, (c.phase.directory.bytes / 1e6).toFixed(1)) : '–'],
    ['server / fleet CPU (s)', (c) => slash(c.phase.cpu.serverS.total, c.phase.cpu.fleetS)],
    ['machine busy / idle CPU (s)', (c) => slash(c.phase.cpu.machineBusyS, c.phase.cpu.machineIdleS)],
  ]
  const m = result.machine
  const lines = [
    `**N = ${N}** — ${result.date.slice(0, 10)}, ${m.cores} cores (${m.cpuModel}), Node ${m.node}, load average at start ${m.loadAvgAtStart.join(' ')}; ${result.settings.workers} fleet workers × parallelism ${result.settings.parallelismPerWorker}; rate ${result.settings.rate?.chosen} (${result.settings.rate?.why})`,
    '',
    `| N = ${N} | ${columns.map((c) => c.title).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...rows.map(([label, cell]) => `| ${label} | ${columns.map(cell).join(' | ')} |`),
    '',
    '| target | N | | measured |',
    '|---|---|---|---|',
    ...result.targets.map((t) => `| ${t.target} | ${N} | ${t.met === true ? 'met' : t.met === false ? '**missed**' : 'n/a'} | ${t.value.replace(/\|/g, '/')} |`),
  ]
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tables = process.argv.slice(2).map((path) => renderMarkdown(JSON.parse(readFileSync(path, 'utf8'))))
  process.stdout.write(tables.join('\n\n') + '\n')
}
