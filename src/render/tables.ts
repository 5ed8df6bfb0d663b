import type {ChalkInstance} from 'chalk'
import Table from 'cli-table3'

import type {SessionInfo} from '../model/session.js'
import type {RunSummaryRow} from '../journal/journal-reader.js'
import type {NodeRow} from '../operations/list-nodes.js'
import type {ProbeRow} from '../operations/probe-sessions.js'
import {formatUptime} from './format.js'

/** No rule between rows: long tables stay readable. */
const COMPACT = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}

export function newTable(head: string[], style: ChalkInstance): Table.Table {
  return new Table({head: head.map((title) => style.bold(title)), style: {head: [], border: []}, chars: COMPACT})
}

export function renderNodes(rows: NodeRow[], style: ChalkInstance): string {
  const table = newTable(['node', 'address', 'server', 'in cluster', 'cordoned', 'sessions'], style)
  for (const row of rows) {
    const cordoned = row.cordoned === null ? style.dim('-') : row.cordoned ? style.yellow('yes') : 'no'
    table.push([row.name, row.address ?? style.dim('(not configured)'), row.server, row.seen ? style.green('yes') : style.red('no'), cordoned, row.sessions])
  }
  return table.toString()
}

export function renderSessions(sessions: SessionInfo[], style: ChalkInstance): string {
  const table = newTable(['jid', 'node', 'client address', 'uptime'], style)
  for (const session of sessions) {
    table.push([
      session.jid,
      session.node,
      session.ip ? (session.port ? `${session.ip}:${session.port}` : session.ip) : '-',
      formatUptime(session.uptimeSeconds),
    ])
  }
  return `${table.toString()}\n${sessions.length} session${sessions.length === 1 ? '' : 's'}`
}

export function renderRuns(runs: RunSummaryRow[], style: ChalkInstance): string {
  const table = newTable(['run', 'command', 'started', 'planned', 'sent', 'moved', 'not moved', 'state'], style)
  for (const run of runs) {
    const what = run.command === 'drain' ? `drain ${run.source}` : `move → ${run.targets.join(', ')}`
    const state = run.state === 'finished' ? `exit ${run.exitCode}` : style.yellow('unfinished')
    table.push([run.id, what, run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), run.planned, run.sent, run.moved, run.notMoved, state])
  }
  return table.toString()
}

export function renderProbe(rows: ProbeRow[], style: ChalkInstance): string {
  const table = newTable(['jid', 'node', 'disco#info', 'srvxfr', 'cxfr'], style)
  const mark = (yes: boolean) => (yes ? style.green('yes') : style.dim('no'))
  for (const row of rows) table.push([row.jid, row.node, row.answer, mark(row.srvxfr), mark(row.cxfr)])
  return table.toString()
}
