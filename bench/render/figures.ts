// The bench's figures as rows × columns (one column per phase), shared by the terminal
// table (table.ts) and the Markdown of docs/performance.md (markdown.ts).
import type {BenchResult, DrainFigures, FloorFigures, KickFigures, MessageFigures, PhaseKey, StopNodeFigures} from '../results.js'

export const DASH = '–'
type Value = number | string | null | undefined
export const show = (value: Value): string => (value === null || value === undefined || Number.isNaN(value) ? DASH : String(value))
export const slash = (...values: Value[]): string => (values.every((v) => v === null || v === undefined) ? DASH : values.map(show).join(' / '))
const ratio = (a: number | null | undefined, b: number) => (a === null || a === undefined ? null : (a / b).toFixed(2) + '×')
const mb = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? DASH : (bytes / 1e6).toFixed(1))

/** A phase that ran, with its title and what its times are measured from. */
export type Column = {title: string; key: PhaseKey; from: string} & (
  {kind: 'floor'; phase: FloorFigures} | {kind: 'drain'; phase: DrainFigures} | {kind: 'baseline'; phase: KickFigures | StopNodeFigures}
)

/** A drain's column title: its pace (no flag: the default, auto) and who held the sessions. */
export function drainTitle(run: DrainFigures, floorRate?: number | null): string {
  const pace =
    run.rate === 'auto'
      ? 'drain (default: --rate auto)'
      : `drain --rate ${run.rate}${floorRate && Math.abs(run.rate - Math.floor(floorRate * 0.9)) <= 1 ? ' (0.9 × floor)' : ''}`
  if (run.population === 'ordinary') return `${pace}, unmodified @xmpp/client (ladder)`
  return run.mode === 'break-before-make' ? `${pace}, break-before-make` : pace
}

/** The phases that ran, in order. */
export function phaseColumns(result: BenchResult): Column[] {
  const {floor, drain, drainDefault, drain50, drainBbm, drainOrdinary, kick, stopNode} = result.phases
  const floorRate = floor?.loginsPerS
  const drainColumn = (key: PhaseKey, run: DrainFigures | undefined): Column | undefined =>
    run && {title: drainTitle(run, floorRate), key, kind: 'drain', phase: run, from: 'first packet'}
  const columns: (Column | undefined)[] = [
    floor && {title: 'floor (fresh logins)', key: 'floor', kind: 'floor', phase: floor, from: 'first login'},
    drainColumn('drainDefault', drainDefault),
    drainColumn('drain', drain),
    drainColumn('drain50', drain50),
    drainColumn('drainBbm', drainBbm),
    drainColumn('drainOrdinary', drainOrdinary),
    kick && {title: 'kick-all (unmodified @xmpp/client)', key: 'kick', kind: 'baseline', phase: kick, from: 'first kick'},
    stopNode && {title: 'stop node-1 (unmodified @xmpp/client)', key: 'stopNode', kind: 'baseline', phase: stopNode, from: 'node.sh stop'},
  ]
  return columns.filter((column): column is Column => Boolean(column))
}

export type FigureRow = [label: string, cell: (column: Column) => string]

/** [label, cell(column)] for every figure; a cell is a string. */
export function figureRows(N: number, floorS?: number | null, load?: BenchResult['loadAvg1m']): FigureRow[] {
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
    ['… × the floor time (start to exit / floor)', (c) => (c.kind === 'drain' && floorS ? show(ratio(c.phase.cli.wallS, floorS)) : DASH)],
    ['node-1 empty after (s) / sessions left on it at the end', drainOnly((p) => slash(p.emptyS, p.leftOnSource))],
    [
      'pace: moves/s mean / peak in 1 s (adaptive: its last rate)',
      drainOnly((p) => {
        const starts = p.startsPerS ?? []
        const peak = starts.length ? Math.max(...starts.map(([, n]) => n)) : null
        const last = p.rate === 'auto' && p.pace?.length ? ` (${p.pace[p.pace.length - 1].rate})` : ''
        return slash(p.packetsPerS, peak) + last
      }),
    ],
    [
      'moved by packet / handover / redirect / close',
      drainOnly((p) => {
        const per = (p.report?.summary.perMethod ?? {}) as Record<string, number>
        return slash(per.packet ?? 0, per.handover ?? 0, per.redirect ?? 0, per.close ?? 0)
      }),
    ],
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
    [
      'rebinds that resumed the XEP-0198 session (ordinary clients)',
      (c) => (c.kind === 'drain' && c.phase.population === 'ordinary' ? show(c.phase.resumed) : DASH),
    ],
    ['messages sent / delivered / lost / duplicated', messages((m) => slash(m.sent, m.delivered, m.lost, m.duplicated))],
    [
      '… of the lost: arrived later live / from storage / never',
      messages((m) => (m.arrivedLater ? slash(m.arrivedLater.live, m.arrivedLater.fromStorage, m.neverArrived) : m.lost === 0 ? DASH : 'not settled')),
    ],
    [
      'route probe: sent while routed to an exited process / of them lost / lost otherwise',
      messages((m) => (m.staleRoutes ? slash(m.staleRoutes.sentWhileStale, m.staleRoutes.lostWhileStale, m.staleRoutes.lostOtherwise) : DASH)),
    ],
    [
      '… stale routes seen / receivers / stale for p50 / max (ms)',
      messages((m) =>
        m.staleRoutes ? slash(m.staleRoutes.staleRoutes, m.staleRoutes.receiversWithOne, m.staleRoutes.staleForMs.p50, m.staleRoutes.staleForMs.max) : DASH,
      ),
    ],
    ['message delivery delay p50 / p99 / max (ms)', messages((m) => slash(m.delayMs.p50, m.delayMs.p99, m.delayMs.max))],
    ['… through offline storage / bounced / bounced but delivered', messages((m) => slash(m.throughStorage, m.bounced, m.bouncedButDelivered))],
    ['sessions with stream management at the end', notFloor((p) => show(p.withStreamManagement))],
    ['xtransfer CPU (s) / peak RSS (MB)', drainOnly((p) => slash(p.cli.cpuS, p.cli.peakRssMb))],
    ['directory calls / MB read', drainOnly((p) => (p.directory ? slash(p.directory.calls, mb(p.directory.bytes)) : DASH))],
    ['server / fleet CPU (s)', (c) => slash(c.phase.cpu.serverS.total, c.phase.cpu.fleetS)],
    ['machine busy / idle CPU (s)', (c) => slash(c.phase.cpu.machineBusyS, c.phase.cpu.machineIdleS)],
    ['load average (1 min) at the phase start / end', (c) => slash(...(load?.[c.key] ?? []))],
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
  const forwardLate = result.settings.lab.forwardLateMs
  if (forwardLate !== undefined)
    on.push(forwardLate === null ? 'no mod_xtransfer' : `mod_xtransfer (forward_late ${forwardLate} ms${forwardLate === 0 ? ': off' : ''})`)
  return `server modules on: ${on.join(', ') || 'neither mod_offline nor mod_stream_mgmt'}; the fleet's @xmpp/client 0.14 enables stream management (resume) and sends initial presence after every bind`
}
