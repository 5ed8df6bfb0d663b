// The bench's table: one column per phase, one row per figure.

const dash = '–'
const show = (value) => (value === null || value === undefined || Number.isNaN(value) ? dash : String(value))
const slash = (...values) => (values.every((v) => v === null || v === undefined) ? dash : values.map(show).join(' / '))
const kb = (bytes) => (bytes === null || bytes === undefined ? dash : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1000)} kB`)

export function renderTable(result) {
  const {floor, drain, drainDefault, kick} = result.phases
  const columns = [
    floor && {title: 'floor (fresh logins)', phase: floor, kind: 'floor'},
    drain && {title: `xtransfer drain --rate ${drain.rate}`, phase: drain, kind: 'drain'},
    drainDefault && {title: `xtransfer drain --rate ${drainDefault.rate}`, phase: drainDefault, kind: 'drain'},
    kick && {title: 'kick-all baseline', phase: kick, kind: 'kick'},
  ].filter(Boolean)
  const rows = [
    ['sessions', (c) => show(c.phase.users)],
    ['time to 99 % / 100 % online elsewhere (s)', (c) => c.kind === 'floor' ? slash(c.phase.online99S, c.phase.timeS) : c.kind === 'drain' ? slash(c.phase.reconnected99S, c.phase.reconnected100S) : slash(c.phase.back99S, c.phase.back100S)],
    ['  measured from', (c) => ({floor: 'first login', drain: 'first packet', kick: 'first kick'})[c.kind]],
    ['xtransfer wall time, start to exit (s)', (c) => c.kind === 'drain' ? show(c.phase.cli.wallS) : dash],
    ['  of it before the first packet (s)', (c) => c.kind === 'drain' ? show(c.phase.cli.untilFirstPacketS) : dash],
    ['sending: time (s) / packets per s', (c) => c.kind === 'drain' ? slash(c.phase.sentS, c.phase.packetsPerS) : c.kind === 'kick' ? slash(c.phase.kickS, c.phase.kicksPerS) : dash],
    ['tracked by xtransfer 99 % / 100 % (s)', (c) => c.kind === 'drain' ? slash(c.phase.tracked99S, c.phase.tracked100S) : dash],
    ['logins per s: mean / peak (1 s)', (c) => c.kind === 'floor' ? slash(c.phase.loginsPerS, c.phase.peakLoginsPerS) : c.kind === 'drain' ? slash(c.phase.reconnected100S ? Math.round(c.phase.users / c.phase.reconnected100S) : null, c.phase.peakReloginsPerS) : slash(c.phase.meanLoginsPerS, c.phase.peakLoginsPerS)],
    ['reconnect latency p50 / p95 / p99 (ms)', (c) => c.kind === 'drain' ? slash(c.phase.latencyMs.p50, c.phase.latencyMs.p95, c.phase.latencyMs.p99) : dash],
    ['client move p50 / p99 (ms, packet to new bind)', (c) => c.kind === 'drain' ? slash(c.phase.fleetMoveMs.p50, c.phase.fleetMoveMs.p99) : dash],
    ['moved / tracked to the right node', (c) => c.kind === 'drain' ? slash(c.phase.report?.summary.moved, c.phase.trackedToRightNode) : dash],
    ['failed logins', (c) => show(c.phase.failedLogins)],
    ['  kick-all: other client errors (socket resets)', (c) => c.kind === 'kick' ? show(c.phase.clientErrors) : dash],
    ['offline gap per user p50 / p99 / max (ms)', (c) => c.kind === 'floor' ? dash : slash(c.phase.offlineGapMs.p50, c.phase.offlineGapMs.p99, c.phase.offlineGapMs.max)],
    ['users with a gap', (c) => c.kind === 'floor' ? dash : show(c.phase.offlineGapMs.usersWithGap)],
    ['xtransfer CPU (s) / peak RSS (MB)', (c) => c.kind === 'drain' ? slash(c.phase.cli.cpuS, c.phase.cli.peakRssMb) : dash],
    ['directory calls / bytes read', (c) => c.kind === 'drain' && c.phase.directory ? `${c.phase.directory.calls} / ${kb(c.phase.directory.bytes)}` : dash],
    ['server CPU / fleet CPU (s)', (c) => slash(c.phase.cpu.serverS.total, c.phase.cpu.fleetS)],
    ['machine busy / idle CPU (s)', (c) => slash(c.phase.cpu.machineBusyS, c.phase.cpu.machineIdleS)],
  ]
  const table = [['', ...columns.map((c) => c.title)], ...rows.map(([label, cell]) => [label, ...columns.map(cell)])]
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)))
  const line = (row) => row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ')
  const m = result.machine
  return [`xtransfer bench, N = ${result.settings.users}, ${m.cores} cores, Node ${m.node}, ${result.date}`, '', line(table[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n')
}

export function renderTargets(result) {
  const mark = (met) => (met === true ? 'met   ' : met === false ? 'MISSED' : 'n/a   ')
  return ['', 'targets', ...result.targets.map((t) => `  ${mark(t.met)} ${t.target}: ${t.value}`)].join('\n')
}
