import type {ChalkInstance} from 'chalk'

import type {Balance, PreflightSummary, TransferReport} from '../engine/report.js'
import type {MoveMethodName} from '../model/transfer.js'
import {type Cell, type Column, layoutColumns, wrapLine} from './columns.js'
import {formatMs} from './format.js'
import type {View} from './view.js'

type Row = TransferReport['sessions'][number]

const OUTCOME_STYLE: Record<Row['outcome'], (style: ChalkInstance) => (text: string) => string> = {
  moved: (style) => style.green,
  'not-moved': (style) => style.red,
  unsupported: (style) => style.yellow,
  'went-offline': (style) => style.magenta,
  kicked: (style) => style.yellow,
  unknown: (style) => style.yellow,
  returned: (style) => style.red,
  'not-back': (style) => style.magenta,
  unsent: (style) => style.red,
  planned: (style) => style.cyan,
}

/**
 * Rows a table shows before it gives way to the summary and the exceptions: a page or
 * two of a terminal's scrollback. Nobody reads 50,000 lines (issue 14 §4); -o wide,
 * --json and -o ndjson still give every row.
 */
export const ROW_LIMIT = 300

export interface ReportView extends View {
  /** Only the summary (and errors, which go to stderr anyway): --quiet. */
  quiet?: boolean
  /** A dry run: the method each session would start with (its first rung), by JID. */
  firstMethods?: ReadonlyMap<string, MoveMethodName>
  /** Rows shown before only the exceptions are; ROW_LIMIT unless a test says otherwise. */
  rowLimit?: number
}

/**
 * What an operator reads after a run: a row per session, then the summary. A dry run
 * shows only what means something before sending, the summary first. Beyond `rowLimit`
 * rows the table keeps only the sessions that did not move, and says how to see them all.
 */
export function renderReport(report: TransferReport, view: ReportView): string {
  const summary = renderSummary(report, view.style, view.maxWidth)
  if (view.quiet) return summary.join('\n')
  const limit = view.rowLimit ?? ROW_LIMIT
  const options = {header: view.header, bold: (text: string) => view.style.bold(text), maxWidth: view.maxWidth}
  if (report.dryRun) {
    if (report.sessions.length === 0) return summary.join('\n')
    if (!view.wide && report.sessions.length > limit) return [...summary, allRowsHint(report.sessions.length, 'planned sessions are not listed')].join('\n')
    const columns: Column[] = [{title: 'JID', flex: true}, {title: 'FROM'}, {title: 'TARGET', flex: true}, {title: 'METHOD'}]
    const rows = report.sessions.map((row) => [row.jid, row.from, row.target, view.firstMethods?.get(row.jid) ?? '-'])
    const table = layoutColumns(columns, rows, options)
    return view.header ? [...summary, '', table].join('\n') : table
  }
  if (report.sessions.length === 0) return summary.join('\n')
  let rows = report.sessions
  let hint: string | undefined
  if (!view.wide && rows.length > limit) {
    const exceptions = rows.filter((row) => row.outcome !== 'moved')
    rows = exceptions.slice(0, limit)
    hint = allRowsHint(
      report.sessions.length,
      exceptions.length === 0
        ? 'every one moved, none is listed'
        : `listed: the ${exceptions.length > limit ? `first ${limit} of ${exceptions.length}` : exceptions.length} that did not move`,
    )
  }
  const table = rows.length ? layoutColumns(view.wide ? WIDE_COLUMNS : COLUMNS, rows.map(view.wide ? wideCells(view.style) : cells(view.style)), options) : ''
  if (!view.header) return table
  return [...(table ? [table] : []), ...(hint ? [hint] : []), ...summary].join('\n')
}

function allRowsHint(total: number, what: string): string {
  return `${total} sessions, ${what}; every row: -o wide, --json or -o ndjson`
}

const COLUMNS: Column[] = [{title: 'JID', flex: true}, {title: 'FROM'}, {title: 'TO'}, {title: 'LATENCY', align: 'right'}, {title: 'OUTCOME'}]

/** jid, from, where it landed, how long, and what became of it (with the rung, when not the packet). */
function cells(style: ChalkInstance) {
  return (row: Row): Cell[] => [
    row.jid,
    row.from,
    row.reconnectedTo ?? '-',
    formatMs(row.latencyMs),
    {text: row.method && row.method !== 'packet' ? `${row.outcome} (${row.method})` : row.outcome, paint: OUTCOME_STYLE[row.outcome](style)},
  ]
}

const WIDE_COLUMNS: Column[] = [
  {title: 'JID', flex: true},
  {title: 'FROM'},
  {title: 'TARGET'},
  {title: 'RECONNECTED'},
  {title: 'ACK'},
  {title: 'LATENCY', align: 'right'},
  {title: 'OUTCOME'},
  {title: 'METHOD'},
  {title: 'STEPS', flex: true},
]

function wideCells(style: ChalkInstance) {
  return (row: Row): Cell[] => [
    row.jid,
    row.from,
    row.target,
    reconnected(row),
    row.ack ?? '-',
    formatMs(row.latencyMs),
    {text: row.outcome, paint: OUTCOME_STYLE[row.outcome](style)},
    row.method ?? '-',
    row.rungs.length ? row.rungs.map((rung) => `${rung.method}:${rung.result}${rung.ms === null ? '' : `(${formatMs(rung.ms)})`}`).join('>') : '-',
  ]
}

/** The node it came back on, and the resource it came back as when that changed. */
function reconnected(row: Row): string {
  if (!row.reconnectedTo) return '-'
  const resource = row.reconnectedJid && row.reconnectedJid !== row.jid ? row.reconnectedJid.slice(row.reconnectedJid.indexOf('/')) : ''
  return resource ? `${row.reconnectedTo} as ${resource}` : row.reconnectedTo
}

/** The summary's lines, each wrapped to `width` (80 where the output is no terminal). */
export function renderSummary(report: TransferReport, style: ChalkInstance, width = 80): string[] {
  const {summary} = report
  const prose: string[] = []
  const lines = {push: (...added: string[]) => prose.push(...added.map((line) => (line.includes('\n') ? line : wrapLine(line, width))))}
  if (report.dryRun) {
    const perTarget = new Map<string, number>()
    for (const row of report.sessions) perTarget.set(row.target, (perTarget.get(row.target) ?? 0) + 1)
    lines.push(
      `${report.command} plan: ${summary.total} session${summary.total === 1 ? '' : 's'}` +
        // By target name: the same plan reads the same whichever session drew which target.
        (perTarget.size
          ? ` → ${[...perTarget]
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([target, n]) => `${target} ${n}`)
              .join(', ')}`
          : ''),
    )
  }
  // The notes of a run, one a line (the report joins them with "; ").
  if (report.message) lines.push(...report.message.split('; '))
  if (report.preflight) lines.push(describePreflight(report.preflight))
  if (report.balance) lines.push(renderBalance(report.balance, style))
  if (report.dryRun) return prose
  const parts = [
    style.green(`${summary.moved} moved`),
    summary.notMoved ? style.red(`${summary.notMoved} not moved`) : `${summary.notMoved} not moved`,
    `${summary.unsupported} unsupported`,
    `${summary.wentOffline} went offline`,
    ...(summary.kicked ? [style.yellow(`${summary.kicked} kicked`)] : []),
    ...(summary.returned ? [style.red(`${summary.returned} came back to the source`)] : []),
    ...(summary.notBack ? [style.magenta(`${summary.notBack} not back yet`)] : []),
    ...(summary.unknown ? [style.yellow(`${summary.unknown} unknown`)] : []),
    ...(summary.unsent ? [style.red(`${summary.unsent} not sent`)] : []),
  ]
  lines.push(`${summary.total} selected: ${parts.join(', ')}`)
  const perTarget = Object.entries(summary.perTarget)
  if (perTarget.length) lines.push(`reconnected to: ${perTarget.map(([node, n]) => `${node} ${n}`).join(', ')}`)
  const perMethod = Object.entries(summary.perMethod ?? {})
  if (perMethod.length && (perMethod.length > 1 || perMethod[0][0] !== 'packet'))
    lines.push(`moved by: ${perMethod.map(([method, n]) => `${method} ${n}`).join(', ')}`)
  lines.push(`latency p50 ${formatMs(summary.latencyMs.p50)}, p95 ${formatMs(summary.latencyMs.p95)}, max ${formatMs(summary.latencyMs.max)}`)
  if (report.pace?.length) lines.push(describePace(report))
  if (!report.acksObservable) lines.push(style.yellow('sent as the domain: acknowledgements are not observable, ack shows not-observable'))
  if (report.error) lines.push(style.red(`stopped early: ${report.error}`))
  return prose
}

/** The pace over the run in one line: where it started, its peak, where it ended. */
export function describePace(report: Pick<TransferReport, 'pace' | 'options'>): string {
  const pace = report.pace ?? []
  const rate = (value: number) => `${Math.round(value * 10) / 10}/s`
  const how = report.options.rate === 'auto' ? 'auto' : `fixed at ${report.options.rate}/s`
  if (pace.length <= 1) return `pace (${how}): ${pace.length ? rate(pace[0].rate) : '-'}`
  const peak = pace.reduce((a, b) => (b.rate > a.rate ? b : a))
  const last = pace.at(-1)!
  return `pace (${how}): ${rate(pace[0].rate)} at first, peak ${rate(peak.rate)} at ${formatMs(peak.atMs)}, ${rate(last.rate)} at the end (${pace.length - 1} change${pace.length === 2 ? '' : 's'})`
}

export function describePreflight(summary: PreflightSummary): string {
  const share = (n: number) => (summary.probed ? `${Math.round((100 * n) / summary.probed)}%` : '-')
  return (
    `preflight: ${summary.either}/${summary.probed} clients (${share(summary.either)}) advertise transfers ` +
    `(srvxfr ${summary.srvxfr}, cxfr ${summary.cxfr}); ${summary.probed - summary.answered} did not answer disco#info`
  )
}

/** Sessions per node: before, as planned, and after the run. */
export function renderBalance(balance: Balance, style: ChalkInstance): string {
  const nodes = Object.keys(balance.before)
  const rows: Cell[][] = [
    ['before', ...nodes.map((node) => balance.before[node])],
    ['planned', ...nodes.map((node) => balance.planned[node] ?? 0)],
    ...(balance.after ? [['after', ...nodes.map((node) => balance.after![node] ?? 0)]] : []),
  ]
  return layoutColumns([{title: ''}, ...nodes.map((node) => ({title: node, align: 'right' as const}))], rows, {header: true, bold: (text) => style.bold(text)})
}
