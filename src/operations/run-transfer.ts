import {countsByNode} from './plan-transfer.js'
import type {CarriedOver, TransferPlan} from './plan-transfer.js'
import type {Config} from '../config/config-schema.js'
import {kickStuckSessions, stuckOnSource} from '../engine/kick-fallback.js'
import {adminPacketSender, domainPacketSender, type PacketSender} from '../engine/packet-senders.js'
import {type Balance, buildReport, reportExitCode, type TransferReport} from '../engine/report.js'
import {type RunEvent, runTransfers} from '../engine/run-transfers.js'
import {EXIT, UsageError, XtransferError} from '../errors.js'
import {newRunId, openJournal} from '../journal/journal-writer.js'
import {ackToText, isRefusal} from '../model/ack.js'
import type {Clock} from '../model/clock.js'
import type {SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import type {TransferChoices, TransferSettings} from '../model/settings.js'
import type {PlannedTransfer, TransferRecord} from '../model/transfer.js'
import {formatServer, namespacesFor} from '../protocol/index.js'

export type {RunEvent}

/**
 * How often pending sessions are looked up. A quarter second keeps the reported
 * latency within a poll of the truth while the directory's cost follows what is pending.
 */
const POLL_MS = 250

export interface RunDeps {
  config: Config
  directory: SessionDirectory
  control: SessionControl
  runsDir: string
  clock: Clock
  onEvent?: (event: RunEvent) => void
  /** Stops sending; what is in flight is still watched for a short grace. */
  signal?: AbortSignal
  /** Told the run id as soon as its journal is open, so that an interruption can name it. */
  onRunId?: (runId: string) => void
}

export interface TransferOutcome {
  report: TransferReport
  /** Absent when nothing was sent (nothing to do). */
  runId?: string
  /** What stopped the run early (the directory stayed down, the admin link failed). */
  failure?: Error
  interrupted: boolean
  exitCode: number
}

/** The settings a run goes by: a resumed run keeps those it was started with. */
export function settingsFor(plan: TransferPlan, choices: TransferChoices | undefined): TransferSettings {
  if (plan.resumed) return plan.resumed.settings
  if (!choices) throw new Error('a new run needs the transfer settings')
  return {...choices, pollMs: POLL_MS}
}

/** The plan as a report, nothing sent (a dry run). */
export function previewTransfer(plan: TransferPlan, choices: TransferChoices | undefined, now: number): TransferReport {
  return reportWithoutRun(plan, settingsFor(plan, choices), now, true, ['dry run: nothing sent', ...plan.notes])
}

/**
 * Send the plan's packets, watch the reconnections, journal every step and build the
 * report. Decides the run id, opens the journal and the admin's packet link.
 */
export async function runTransfer(plan: TransferPlan, choices: TransferChoices | undefined, deps: RunDeps): Promise<TransferOutcome> {
  const {config, directory, control, clock} = deps
  const settings = settingsFor(plan, choices)
  const carriedOver: CarriedOver | undefined = plan.resumed?.carriedOver
  if (plan.items.length === 0 && !carriedOver?.inFlight.length) {
    return {report: reportWithoutRun(plan, settings, clock.now(), false, [...plan.notes]), interrupted: false, exitCode: EXIT.ok}
  }
  if (settings.from === 'domain' && !control.abilities.sendAsDomain) throw new UsageError('this directory cannot send stanzas as the domain: use --from admin')
  const sender: PacketSender = settings.from === 'admin'
    ? adminPacketSender((node, iq, timeoutMs) => control.request(node, iq, timeoutMs), {domain: config.domain, namespaces: namespacesFor(settings.namespace), ackTimeoutMs: settings.ackTimeoutMs})
    : domainPacketSender((stanza, from, to) => control.sendAsDomain(stanza, from, to), {domain: config.domain, namespaces: namespacesFor(settings.namespace)})

  const startedAt = clock.now()
  const journal = openJournal(deps.runsDir, plan.resumed?.runId ?? newRunId(startedAt, plan.command))
  deps.onRunId?.(journal.id)
  if (!plan.resumed) {
    journal.append({type: 'run', v: 1, id: journal.id, command: plan.command, source: plan.source, targets: [...plan.targets], settings, startedAt})
  } else {
    journal.append({type: 'resumed', at: startedAt, pid: process.pid})
  }
  for (const item of plan.items) journal.append(plannedEntry(item))

  const onEvent = (event: RunEvent) => {
    if (event.type === 'sending') journal.append({type: 'sending', jid: event.item.jid, at: event.at})
    else if (event.type === 'sent') journal.append({type: 'sent', jid: event.record.jid, at: event.record.sentAt, ack: ackToText(event.record.ack), ackMs: event.record.ackMs})
    else journal.append({type: 'settled', jid: event.record.jid, outcome: event.record.outcome, reconnectedTo: event.record.reconnectedTo, reconnectedJid: event.record.reconnectedJid, latencyMs: event.record.latencyMs})
    deps.onEvent?.(event)
  }
  const runPlan = (items: readonly PlannedTransfer[], alreadySent: TransferRecord[] = []) => runTransfers({
    plan: [...items], alreadySent, sender, directory, clock, options: settings, knownJids: new Set(plan.knownJids), onEvent, signal: deps.signal,
  })

  try {
    if (settings.from === 'admin') await control.open()
    const inFlight = carriedOver?.inFlight ?? []
    const first = await runPlan(plan.items, inFlight)
    let records = first.records
    let result = first
    // A session an earlier process may have sent a packet to gets a second one only if it is still on its source now.
    const resend = records.filter((record) => inFlight.includes(record) && record.outcome === 'not-moved' && !isRefusal(record.ack))
    if (resend.length > 0 && !first.error && !first.interrupted) {
      const byJid = new Map(plan.resumed?.resendable.map((item) => [item.jid, item]))
      const again = await runPlan(resend.flatMap((record) => byJid.get(record.jid) ?? []))
      records = [...records.filter((record) => !resend.includes(record)), ...again.records]
      result = {...again, unsent: [...first.unsent, ...again.unsent]}
    }
    if (settings.fallback === 'kick' && !result.error && !result.interrupted) {
      await kickStuckSessions(stuckOnSource(records), directory, control, clock, settings, (record) => onEvent({type: 'settled', record}))
    }
    const balance = plan.balance && !result.error ? await withCountsAfter(plan.balance, config, directory) : plan.balance
    const report = buildReport({
      ...reportBase(plan, settings),
      balance,
      dryRun: false,
      startedAt: carriedOver ? Math.min(startedAt, ...[...carriedOver.settled, ...inFlight].map((record) => record.sentAt)) : startedAt,
      finishedAt: clock.now(),
      acksObservable: sender.acksObservable,
      records: [...(carriedOver?.settled ?? []), ...records],
      notSent: result.unsent.map((item) => ({jid: item.jid, from: item.from, target: item.target.name})),
      error: result.error?.message,
      message: [
        ...plan.notes,
        ...(sender.acksObservable ? [] : ['sent as the domain: client acknowledgements are not observable']),
        ...(control.reconnects ? [`the admin link dropped and was restored ${control.reconnects} time(s); answers lost with it were resolved by watching`] : []),
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
  }
}

function plannedEntry(item: PlannedTransfer) {
  return {type: 'planned' as const, jid: item.jid, bare: item.bare, resource: item.resource, from: item.from,
    target: item.target.name, address: formatServer(item.target.address), isNode: item.target.isNode}
}

function reportWithoutRun(plan: TransferPlan, settings: TransferSettings, now: number, dryRun: boolean, notes: string[]): TransferReport {
  return buildReport({
    ...reportBase(plan, settings),
    dryRun,
    startedAt: now,
    finishedAt: now,
    acksObservable: settings.from === 'admin',
    records: [],
    notSent: dryRun ? plan.items.map((item) => ({jid: item.jid, from: item.from, target: item.target.name})) : [],
    message: notes.join('; ') || undefined,
  })
}

function reportBase(plan: TransferPlan, settings: TransferSettings) {
  return {
    command: plan.command,
    source: plan.source,
    targets: [...plan.targets],
    alreadyThere: plan.alreadyThere,
    preflight: plan.preflight,
    balance: plan.balance,
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
