import type {SessionInfo} from '../model/session.js'
import type {RunSummaryRow} from '../journal/journal-reader.js'
import type {NodeRow} from '../operations/list-nodes.js'
import type {ProbeRow} from '../operations/probe-sessions.js'
import {type Cell, type Column, layoutColumns} from './columns.js'
import {formatUptime} from './format.js'
import type {View} from './view.js'

/** Lays out a listing for a view: `wide: true` columns only with -o wide, `wide: false` ones only without. */
function listing<Row>(rows: readonly Row[], columns: Array<Column & {wide?: boolean; cell: (row: Row) => Cell}>, view: View): string {
  const shown = columns.filter((column) => column.wide === undefined || column.wide === view.wide)
  return layoutColumns(
    shown,
    rows.map((row) => shown.map((column) => column.cell(row))),
    {header: view.header, bold: (text) => view.style.bold(text), maxWidth: view.maxWidth},
  )
}

export function renderNodes(rows: readonly NodeRow[], view: View): string {
  const {style} = view
  return listing(
    rows,
    [
      {title: 'NODE', cell: (row) => row.name},
      {title: 'ADDRESS', flex: true, cell: (row) => row.address ?? {text: view.wide ? '(not configured)' : '-', paint: style.dim}},
      {title: 'SERVER', flex: true, wide: true, cell: (row) => row.server},
      {title: 'SESSIONS', align: 'right', cell: (row) => row.sessions},
      // kubectl's habit (Ready,SchedulingDisabled): one status column keeps 80 columns; -o wide splits it.
      {title: 'STATUS', wide: false, cell: (row) => nodeStatus(row, style)},
      {
        title: 'CORDONED',
        wide: true,
        cell: (row) => (row.cordoned === null ? {text: '-', paint: style.dim} : row.cordoned ? {text: 'yes', paint: style.yellow} : 'no'),
      },
      {title: 'IN-CLUSTER', wide: true, cell: (row) => (row.seen ? {text: 'yes', paint: style.green} : {text: 'no', paint: style.red})},
    ],
    view,
  )
}

/** `up`, `up,cordoned`, `not-in-cluster`…: whether the cluster sees it, and whether it takes new connections (when the server can say). */
function nodeStatus(row: NodeRow, style: View['style']): Cell {
  const text = `${row.seen ? 'up' : 'not-in-cluster'}${row.cordoned ? ',cordoned' : ''}`
  return {text, paint: !row.seen ? style.red : row.cordoned ? style.yellow : style.green}
}

export function renderSessions(sessions: readonly SessionInfo[], view: View): string {
  const table = listing(
    sessions,
    [
      {title: 'JID', flex: true, cell: (session) => session.jid},
      {title: 'NODE', cell: (session) => session.node},
      {title: 'SERVER', wide: true, cell: (session) => session.server},
      {title: 'ADDRESS', cell: (session) => (session.ip ? (session.port ? `${session.ip}:${session.port}` : session.ip) : '-')},
      {title: 'UPTIME', align: 'right', cell: (session) => formatUptime(session.uptimeSeconds)},
      {title: 'SM', wide: true, cell: (session) => session.streamManagement ?? '-'},
      {title: 'RESUMABLE', wide: true, cell: (session) => (session.resumable === undefined ? '-' : session.resumable ? 'yes' : 'no')},
      {title: 'CLIENT', wide: true, flex: true, cell: (session) => session.capsNode ?? '-'},
    ],
    view,
  )
  if (!view.header) return table
  const count = `${sessions.length} session${sessions.length === 1 ? '' : 's'}`
  return sessions.length ? `${table}\n${count}` : count
}

export function renderRuns(runs: readonly RunSummaryRow[], view: View): string {
  const {style} = view
  const state = (run: RunSummaryRow): Cell =>
    run.state === 'finished'
      ? `exit ${run.exitCode}`
      : run.state === 'failed'
        ? {text: `failed, exit ${run.exitCode}`, paint: style.red}
        : {text: 'unfinished', paint: style.yellow}
  return listing(
    runs,
    [
      {title: 'RUN', cell: (run) => run.id},
      {title: 'COMMAND', flex: true, cell: (run) => describeRun(run)},
      {title: 'STARTED', wide: true, cell: (run) => run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')},
      // Moved of planned in one column: the share is what is read first, and it keeps 80 columns.
      {title: 'MOVED', align: 'right', cell: (run) => (view.wide ? run.moved : `${run.moved}/${run.planned}`)},
      {title: 'PLANNED', align: 'right', wide: true, cell: (run) => run.planned},
      {title: 'SENT', align: 'right', wide: true, cell: (run) => run.sent},
      {title: 'NOT-MOVED', align: 'right', wide: true, cell: (run) => run.notMoved},
      {title: 'STATE', cell: state},
    ],
    view,
  )
}

function describeRun(run: RunSummaryRow): string {
  if (run.command === 'drain') return `drain ${run.source}`
  if (run.command === 'move') return `move → ${run.targets.join(', ')}`
  return run.targets.length ? `${run.command} → ${run.targets.join(', ')}` : run.command
}

export function renderProbe(rows: readonly ProbeRow[], view: View): string {
  const {style} = view
  const mark = (yes: boolean): Cell => (yes ? {text: 'yes', paint: style.green} : {text: 'no', paint: style.dim})
  return listing(
    rows,
    [
      {title: 'JID', flex: true, cell: (row) => row.jid},
      {title: 'NODE', cell: (row) => row.node},
      // The answer to disco#info: ok, the error's condition, or timeout; as the protocol spells it with -o wide.
      {title: 'DISCO', cell: (row) => (view.wide ? row.answer : row.answer === 'result' ? 'ok' : row.answer.replace(/^error:/, ''))},
      {title: 'SRVXFR', wide: true, cell: (row) => mark(row.srvxfr)},
      {title: 'CXFR', wide: true, cell: (row) => mark(row.cxfr)},
      {
        title: 'ADVERTISES',
        wide: false,
        cell: (row) => {
          const spoken = row.srvxfr && row.cxfr ? 'both' : row.srvxfr ? 'srvxfr' : row.cxfr ? 'cxfr' : undefined
          return spoken ? {text: spoken, paint: style.green} : {text: '-', paint: style.dim}
        },
      },
    ],
    view,
  )
}
