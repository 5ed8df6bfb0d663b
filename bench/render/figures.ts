// The bench's figures as rows × columns (one column per phase), shared by the terminal
// table (table.ts) and the Markdown of docs/performance.md (markdown.ts).
import type {BenchResult, DrainFigures, FloorFigures, KickFigures, MessageFigures, StopNodeFigures} from '../results.js'
import {DEFAULT_RATE} from '../settings.js'

export const DASH = '–'
type Value = number | string | null | undefined
export const show = (value: Value): string => (value === null || value === undefined || Number.isNaN(value) ? DASH : String(value))
export const slash = (...values: Value[]): string => (values.every((v) => v === null || v === undefined) ? DASH : values.map(show).join(' / '))
const mb = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? DASH : (bytes / 1e6).toFixed(1))

/** A phase that ran, with its title and what its times are measured from. */
export type Column =
  | {title: string; kind: 'floor'; phase: FloorFigures; from: string}
  | {title: string; kind: 'drain'; phase: DrainFigures; from: string}
  | {title: string; kind: 'baseline'; phase: KickFigures | StopNodeFigures; from: string}

/** The phases that ran, in order. */
export function phaseColumns(result: BenchResult): Column[] {
  const {floor, drain, drainDefault, drainBbm, kick, stopNode} = result.phases
  const drainTitle = (run: DrainFigures, extra: string) => `drain --rate ${run.rate}${run.rate === DEFAULT_RATE ? ' (default)' : ''}${extra}`
  const columns: (Column | undefined)[] = [
    floor && {title: 'floor (fresh logins)', kind: 'floor', phase: floor, from: 'first login'},
    drain && {title: drainTitle(drain, ''), kind: 'drain', phase: drain, from: 'first packet'},
    drainDefault && {title: drainTitle(drainDefault, ''), kind: 'drain', phase: drainDefault, from: 'first packet'},
    drainBbm && {title: drainTitle(drainBbm, ', break-before-make'), kind: 'drain', phase: drainBbm, from: 'first packet'},
    kick && {title: 'kick-all', kind: 'baseline', phase: kick, from: 'first kick'},
    stopNode && {title: 'stop node-1', kind: 'baseline', phase: stopNode, from: 'node.sh stop'},
  ]
  return columns.filter((column): column is Column => Boolean(column))
}

export type FigureRow = [label: string, cell: (column: Column) => string]

/** [label, cell(column)] for every figure; a cell is a string. */
export function figureRows(N: number): FigureRow[] {
  const drainOnly = (pick: (p: DrainFigures) => string) => (c: Column) => (c.kind === 'drain' ? pick(c.phase) : DASH)
  const notFloor = (pick: (p: DrainFigures | KickFigures | StopNodeFigures) => string) => (c: Column) => (c.kind === 'floor' ? DASH : pick(c.phase))
  const messages = (pick: (m: MessageFigures) => string) => notFloor((p) => (p.messages ? pick(p.messages) : DASH))
  return [
    ['sessions', (c) => show(c.phase.users)],
    [
      'time to 99 % / 100 % online elsewhere (s)',
      (c) =>
        c.kind === 'floor'
          ? slash(c.phase.online99S, c.phase.timeS)
          : c.kind === 'drain'
            ? slash(c.phase.reconnected99S, c.phase.reconnected100S)
            : slash(c.phase.back99S, c.phase.back100S),
    ],
    ['… measured from', (c) => c.from],
    [
      'xtransfer wall time, start to exit (s)',
      drainOnly((p) => show(p.cli.wallS) + (p.report?.summary.moved === N ? '' : ` (stopped, ${p.report?.summary.moved ?? '?'} moved)`)),
    ],
    ['… before the first packet (s)', drainOnly((p) => show(p.cli.untilFirstPacketS))],
    [
      'sending (s) / packets or kicks per s; stopping the node (s)',
      (c) =>
        c.kind === 'drain'
          ? slash(c.phase.sentS, c.phase.packetsPerS)
          : 'kickS' in c.phase && c.phase.kickS !== undefined
            ? slash(c.phase.kickS, c.phase.kicksPerS)
            : show((c.phase as StopNodeFigures).stopS),
    ],
    ['tracked by xtransfer 99 % / 100 % (s)', drainOnly((p) => slash(p.tracked99S, p.tracked100S))],
    [
      'logins/s: mean / peak in 1 s',
      (c) =>
        c.kind === 'floor'
          ? slash(c.phase.loginsPerS, c.phase.peakLoginsPerS)
          : c.kind === 'drain'
            ? slash(c.phase.reconnected100S ? Math.round(N / c.phase.reconnected100S) : null, c.phase.peakReloginsPerS)
            : slash(c.phase.meanLoginsPerS, c.phase.peakLoginsPerS),
    ],
    ['reconnect latency p50 / p95 / p99 (ms, report)', drainOnly((p) => slash(p.latencyMs.p50, p.latencyMs.p95, p.latencyMs.p99))],
    ['client move p50 / p99 (ms, packet to new bind)', drainOnly((p) => slash(p.fleetMoveMs.p50, p.fleetMoveMs.p99))],
    ['moved / tracked to the right node', drainOnly((p) => slash(p.report?.summary.moved, p.trackedToRightNode))],
    ['failed logins', (c) => show(c.phase.failedLogins)],
    ['… other client errors (baselines)', (c) => (c.kind === 'baseline' ? show(c.phase.clientErrors) : DASH)],
    ['offline gap per user p50 / p99 / max (ms)', notFloor((p) => slash(p.offlineGapMs.p50, p.offlineGapMs.p99, p.offlineGapMs.max))],
    ['users with a gap', notFloor((p) => show(p.offlineGapMs.usersWithGap))],
    ['messages sent / delivered / lost / duplicated', messages((m) => slash(m.sent, m.delivered, m.lost, m.duplicated))],
    [
      '… of the lost: arrived later live / from storage / never',
      messages((m) => (m.arrivedLater ? slash(m.arrivedLater.live, m.arrivedLater.fromStorage, m.neverArrived) : m.lost === 0 ? DASH : 'not settled')),
    ],
    ['message delivery delay p50 / p99 / max (ms)', messages((m) => slash(m.delayMs.p50, m.delayMs.p99, m.delayMs.max))],
    ['… through offline storage / bounced / bounced but delivered', messages((m) => slash(m.throughStorage, m.bounced, m.bouncedButDelivered))],
    ['sessions with stream management at the end', notFloor((p) => show(p.withStreamManagement))],
    ['xtransfer CPU (s) / peak RSS (MB)', drainOnly((p) => slash(p.cli.cpuS, p.cli.peakRssMb))],
    ['directory calls / MB read', drainOnly((p) => (p.directory ? slash(p.directory.calls, mb(p.directory.bytes)) : DASH))],
    ['server / fleet CPU (s)', (c) => slash(c.phase.cpu.serverS.total, c.phase.cpu.fleetS)],
    ['machine busy / idle CPU (s)', (c) => slash(c.phase.cpu.machineBusyS, c.phase.cpu.machineIdleS)],
  ]
}

/** The settings line under a table: when, where, how. */
export function describeRun(result: BenchResult): string {
  const m = result.machine
  const s = result.settings
  const msg = s.messages ? `; messages: ${s.messages.ratePerS}/s to ${s.messages.receivers} receivers from ${s.messages.sender.split(',')[0]}` : ''
  return `${result.date.slice(0, 10)}, ${m.cores} cores (${m.cpuModel}), Node ${m.node}, load average at start ${m.loadAvgAtStart.join(' ')}; ${s.workers} fleet workers × parallelism ${s.parallelismPerWorker}; rate ${s.rate?.chosen} (${s.rate?.why})${msg}`
}

/** Which server modules decided the messages' fate, in words. */
export function describeModules(result: BenchResult): string | null {
  const mods = result.settings.messages?.serverModules
  if (!mods) return null
  const on: string[] = []
  if (mods.mod_offline) on.push(`mod_offline (at most ${mods.maxUserOfflineMessages ?? '?'} stored messages per user)`)
  if (mods.mod_stream_mgmt) on.push(`mod_stream_mgmt (resume_timeout ${mods.resumeTimeoutS ?? '?'} s, resend_on_timeout ${mods.resendOnTimeout ?? '?'})`)
  return `server modules on: ${on.join(', ') || 'neither mod_offline nor mod_stream_mgmt'}; the fleet's @xmpp/client 0.14 enables stream management (resume) and sends initial presence after every bind`
}
