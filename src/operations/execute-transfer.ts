import type {Config} from '../config/config-schema.js'
import type {AdminSession} from '../connection/admin-session.js'
import {ReconnectingAdmin} from '../connection/reconnecting-admin.js'
import type {SessionDirectory} from '../directories/session-directory.js'
import type {Clock} from '../model/clock.js'
import {adminPacketSender, domainPacketSender, PacketSender} from '../engine/packet-senders.js'
import type {PlannedTransfer} from '../engine/plan.js'
import {Balance, buildReport, reportExitCode, TransferReport} from '../engine/report.js'
import {RunEvent, runTransfers} from '../engine/run-transfers.js'
import {kickStuckSessions, stuckOnSource} from '../engine/kick-fallback.js'
import {isRefusal, TransferRecord} from '../engine/transfer-record.js'
import {EXIT, XtransferError} from '../errors.js'
import type {JournalWriter} from '../journal/journal-writer.js'
import {formatServer, namespacesFor, NamespaceChoice} from '../protocol/index.js'
import {countsByNode, PreparedTransfer} from './prepare-transfer.js'

export interface TransferSettings {
  namespace: NamespaceChoice
  from: 'admin' | 'domain'
  rate: number
  concurrency: number
  waitMs: number
  ackTimeoutMs: number
  pollMs: number
  /** After the wait, close sessions still on their source that refused or ignored the packet. */
  fallback: 'none' | 'kick'
}

/** What a resumed run carries over from the journal of the interrupted one. */
export interface CarriedOver {
  /** Settled before the interruption: reported as they were. */
  settled: TransferRecord[]
  /** Sent (or maybe sent) but not settled: watched; sent again only if still on the source after the wait. */
  inFlight: TransferRecord[]
}

export interface ExecuteInput {
  prepared: PreparedTransfer
  settings: TransferSettings
  config: Config
  directory: SessionDirectory
  /** Opened only when packets go out on the admin's connection. */
  openAdmin: () => Promise<AdminSession>
  clock: Clock
  journal: JournalWriter
  carriedOver?: CarriedOver
  onEvent?: (event: RunEvent) => void
  signal?: AbortSignal
}

export interface TransferOutcome {
  report: TransferReport
  runId?: string
  /** What stopped the run early (the directory stayed down, the admin link failed). */
  failure?: Error
  interrupted: boolean
  exitCode: number
}

/** Send the plan's packets, watch the reconnections, journal every step, and build the report. */
export async function executeTransfer(input: ExecuteInput): Promise<TransferOutcome> {
  const {prepared, settings, config, directory, openAdmin, clock, journal, carriedOver, signal} = input
  const startedAt = clock.now()
  if (!carriedOver) {
    journal.append({type: 'run', v: 1, id: journal.id, command: prepared.command, source: prepared.source, targets: prepared.targets, settings, startedAt})
  } else {
    journal.append({type: 'resumed', at: startedAt, pid: process.pid})
  }
  for (const item of prepared.plan) journal.append(plannedEntry(item))

  const onEvent = (event: RunEvent) => {
    if (event.type === 'sending') journal.append({type: 'sending', jid: event.item.jid, at: event.at})
    else if (event.type === 'sent') journal.append({type: 'sent', jid: event.record.jid, at: event.record.sentAt, ack: event.record.ack, ackMs: event.record.ackMs})
    else journal.append({type: 'settled', jid: event.record.jid, outcome: event.record.outcome, reconnectedTo: event.record.reconnectedTo, reconnectedJid: event.record.reconnectedJid, latencyMs: event.record.latencyMs})
    input.onEvent?.(event)
  }

  const namespaces = namespacesFor(settings.namespace)
  let admin: ReconnectingAdmin | undefined
  let sender: PacketSender
  if (settings.from === 'admin' && directory.requestOn) {
    // Nodes that do not route to each other: each packet goes out on the admin's session with the session's node.
    const requestOn = directory.requestOn.bind(directory)
    sender = adminPacketSender((iq, timeoutMs, item) => requestOn(item.from, iq, timeoutMs), {domain: config.domain, namespaces, ackTimeoutMs: settings.ackTimeoutMs})
  } else if (settings.from === 'admin') {
    admin = new ReconnectingAdmin(openAdmin, clock)
    await admin.start()
    const session = admin
    sender = adminPacketSender((iq, timeoutMs) => session.request(iq, timeoutMs), {domain: config.domain, namespaces, ackTimeoutMs: settings.ackTimeoutMs})
  } else {
    if (!directory.sendAsDomain) throw new Error('this directory cannot send stanzas as the domain')
    sender = domainPacketSender(directory.sendAsDomain.bind(directory), {domain: config.domain, namespaces})
  }
  const run = (plan: PlannedTransfer[], alreadySent: TransferRecord[] = []) => runTransfers({
    plan, alreadySent, sender, directory, clock, options: settings, knownJids: prepared.knownJids, onEvent, signal,
  })

  try {
    const inFlight = carriedOver?.inFlight ?? []
    const first = await run(prepared.plan, inFlight)
    let records = first.records
    let result = first
    // A session an earlier process may have sent a packet to gets a second one only if it is still on its source now.
    const resend = records.filter((record) => inFlight.includes(record) && record.outcome === 'not-moved' && !isRefusal(record.ack))
    if (resend.length > 0 && !first.error && !first.interrupted) {
      const byJid = new Map(prepared.resendable?.map((item) => [item.jid, item]))
      const again = await run(resend.flatMap((record) => byJid.get(record.jid) ?? []))
      records = [...records.filter((record) => !resend.includes(record)), ...again.records]
      result = {...again, unsent: [...first.unsent, ...again.unsent]}
    }
    if (settings.fallback === 'kick' && !result.error && !result.interrupted) {
      await kickStuckSessions(stuckOnSource(records), directory, clock, settings, (record) => onEvent({type: 'settled', record}))
    }
    const balance = prepared.balance && !result.error ? await withCountsAfter(prepared.balance, config, directory) : prepared.balance
    const report = buildReport({
      ...reportBase(prepared, settings),
      balance,
      dryRun: false,
      startedAt: carriedOver ? Math.min(startedAt, ...[...carriedOver.settled, ...inFlight].map((record) => record.sentAt)) : startedAt,
      finishedAt: clock.now(),
      acksObservable: sender.acksObservable,
      records: [...(carriedOver?.settled ?? []), ...records],
      notSent: result.unsent.map((item) => ({jid: item.jid, from: item.from, target: item.target.name})),
      error: result.error?.message,
      message: [
        ...prepared.notes,
        ...(sender.acksObservable ? [] : ['sent as the domain: client acknowledgements are not observable']),
        ...(admin?.reconnects ? [`the admin link dropped and was restored ${admin.reconnects} time(s); answers lost with it were resolved by watching`] : []),
        `run ${journal.id}`,
      ].join('; '),
    })
    const exitCode = result.interrupted ? EXIT.interrupted
      : result.error ? (result.error instanceof XtransferError ? result.error.exitCode : EXIT.access)
        : reportExitCode(report)
    // An interrupted run stays resumable: no 'finished' line.
    if (!result.interrupted) journal.append({type: 'finished', at: clock.now(), exitCode})
    return {report, runId: journal.id, failure: result.error, interrupted: result.interrupted, exitCode}
  } finally {
    journal.close()
    await admin?.close()
  }
}

function plannedEntry(item: PlannedTransfer) {
  return {type: 'planned' as const, jid: item.jid, bare: item.bare, resource: item.resource, from: item.from,
    target: item.target.name, address: formatServer(item.target.address), isNode: item.target.isNode}
}

/** The plan as a report, nothing sent. */
export function dryRunReport(prepared: PreparedTransfer, settings: TransferSettings, now: number): TransferReport {
  return reportWithoutRun(prepared, settings, now, true, ['dry run: nothing sent', ...prepared.notes])
}

/** Nothing was selected: a report that says why, with nothing sent. */
export function emptyReport(prepared: PreparedTransfer, settings: TransferSettings, now: number): TransferReport {
  return reportWithoutRun(prepared, settings, now, false, prepared.notes)
}

function reportWithoutRun(prepared: PreparedTransfer, settings: TransferSettings, now: number, dryRun: boolean, notes: string[]): TransferReport {
  return buildReport({
    ...reportBase(prepared, settings),
    dryRun,
    startedAt: now,
    finishedAt: now,
    acksObservable: settings.from === 'admin',
    records: [],
    notSent: dryRun ? prepared.plan.map((item) => ({jid: item.jid, from: item.from, target: item.target.name})) : [],
    message: notes.join('; ') || undefined,
  })
}

function reportBase(prepared: PreparedTransfer, settings: TransferSettings) {
  return {
    command: prepared.command,
    source: prepared.source,
    targets: prepared.targets,
    alreadyThere: prepared.alreadyThere,
    preflight: prepared.preflight,
    balance: prepared.balance,
    options: {namespace: settings.namespace, from: settings.from, rate: settings.rate, concurrency: settings.concurrency, waitMs: settings.waitMs, fallback: settings.fallback ?? 'none'},
  }
}

/** The balance with what the directory lists once the run is over (left out if it cannot say). */
async function withCountsAfter(balance: Balance, config: Config, directory: SessionDirectory): Promise<Balance> {
  try {
    const sessions = (await directory.listSessions()).filter((session) => session.bare !== config.admin.jid)
    return {...balance, after: Object.fromEntries(countsByNode(config, sessions))}
  } catch {
    return balance
  }
}
