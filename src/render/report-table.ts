import type {ChalkInstance} from 'chalk'

import type {Balance, PreflightSummary, TransferReport} from '../engine/report.js'
import {formatMs} from './format.js'
import {newTable} from './tables.js'

const OUTCOME_STYLE: Record<string, (style: ChalkInstance, text: string) => string> = {
  moved: (style, text) => style.green(text),
  'not-moved': (style, text) => style.red(text),
  unsupported: (style, text) => style.yellow(text),
  'went-offline': (style, text) => style.magenta(text),
  kicked: (style, text) => style.yellow(text),
  unknown: (style, text) => style.yellow(text),
  returned: (style, text) => style.red(text),
  'not-back': (style, text) => style.magenta(text),
  unsent: (style, text) => style.red(text),
  planned: (style, text) => style.cyan(text),
}

/** One row per session, then the summary: what an operator reads after a run. */
export function renderReport(report: TransferReport, style: ChalkInstance): string {
  const lines: string[] = []
  if (report.sessions.length > 0) {
    const table = newTable(['jid', 'from', 'target', 'reconnected to', 'ack', 'latency', 'outcome'], style)
    for (const row of report.sessions) {
      const paint = OUTCOME_STYLE[row.outcome] ?? ((_: ChalkInstance, text: string) => text)
      table.push([
        row.jid,
        row.from,
        row.target,
        row.reconnectedTo ?? '-',
        row.ack ?? '-',
        formatMs(row.latencyMs),
        paint(style, row.method && row.method !== 'packet' ? `${row.outcome} (${row.method})` : row.outcome),
      ])
    }
    lines.push(table.toString())
  }
  lines.push(...renderSummary(report, style))
  return lines.join('\n')
}

export function renderSummary(report: TransferReport, style: ChalkInstance): string[] {
  const {summary} = report
  const lines: string[] = []
  if (report.message) lines.push(report.message)
  if (report.preflight) lines.push(describePreflight(report.preflight))
  if (report.balance) lines.push(renderBalance(report.balance, style))
  if (report.dryRun) {
    const perTarget = new Map<string, number>()
    for (const row of report.sessions) perTarget.set(row.target, (perTarget.get(row.target) ?? 0) + 1)
    lines.push(
      `${report.command} plan: ${summary.total} session${summary.total === 1 ? '' : 's'}` +
        (perTarget.size ? ` → ${[...perTarget].map(([target, n]) => `${target} ${n}`).join(', ')}` : ''),
    )
    return lines
  }
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
  if (!report.acksObservable) lines.push(style.yellow('sent as the domain: acknowledgements are not observable, ack shows not-observable'))
  if (report.error) lines.push(style.red(`stopped early: ${report.error}`))
  return lines
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
  const table = newTable(['', ...nodes], style)
  table.push(['before', ...nodes.map((node) => balance.before[node])])
  table.push(['planned', ...nodes.map((node) => balance.planned[node] ?? 0)])
  if (balance.after) table.push(['after', ...nodes.map((node) => balance.after![node] ?? 0)])
  return table.toString()
}
