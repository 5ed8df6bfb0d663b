import type {Config} from '../config/config-schema.js'
import type {AdminSession} from '../connection/admin-session.js'
import type {SessionDirectory} from '../directories/session-directory.js'
import type {Clock} from '../engine/clock.js'
import {adminPacketSender, domainPacketSender, PacketSender} from '../engine/packet-senders.js'
import {buildReport, TransferReport} from '../engine/report.js'
import {RunEvent, runTransfers} from '../engine/run-transfers.js'
import {namespacesFor, NamespaceChoice} from '../protocol/index.js'
import type {PreparedTransfer} from './prepare-transfer.js'

export interface TransferSettings {
  namespace: NamespaceChoice
  from: 'admin' | 'domain'
  rate: number
  concurrency: number
  waitMs: number
  ackTimeoutMs: number
  pollMs: number
}

export interface ExecuteInput {
  prepared: PreparedTransfer
  settings: TransferSettings
  config: Config
  directory: SessionDirectory
  /** Opened only when packets go out on the admin's connection. */
  openAdmin: () => Promise<AdminSession>
  clock: Clock
  onEvent?: (event: RunEvent) => void
  signal?: AbortSignal
}

export interface TransferOutcome {
  report: TransferReport
  /** What stopped the run early (the directory stayed down, the admin link failed). */
  failure?: Error
  interrupted: boolean
}

/** Send the plan's packets, watch the reconnections, and build the report. */
export async function executeTransfer({prepared, settings, config, directory, openAdmin, clock, onEvent, signal}: ExecuteInput): Promise<TransferOutcome> {
  const startedAt = clock.now()
  const namespaces = namespacesFor(settings.namespace)
  let admin: AdminSession | undefined
  let sender: PacketSender
  if (settings.from === 'admin') {
    admin = await openAdmin()
    const session = admin
    sender = adminPacketSender((iq, timeoutMs) => session.request(iq, timeoutMs), {domain: config.domain, namespaces, ackTimeoutMs: settings.ackTimeoutMs})
  } else {
    if (!directory.sendAsDomain) throw new Error('this directory cannot send stanzas as the domain')
    sender = domainPacketSender(directory.sendAsDomain.bind(directory), {domain: config.domain, namespaces})
  }
  try {
    const result = await runTransfers({
      plan: prepared.plan,
      sender,
      directory,
      clock,
      options: settings,
      knownJids: prepared.knownJids,
      onEvent,
      signal,
    })
    const report = buildReport({
      ...reportBase(prepared, settings),
      dryRun: false,
      startedAt,
      finishedAt: clock.now(),
      acksObservable: sender.acksObservable,
      records: result.records,
      notSent: result.unsent.map((item) => ({jid: item.jid, from: item.from, target: item.target.name})),
      error: result.error?.message,
      message: [...prepared.notes, ...(sender.acksObservable ? [] : ['sent as the domain: client acknowledgements are not observable'])].join('; ') || undefined,
    })
    return {report, failure: result.error, interrupted: result.interrupted}
  } finally {
    await admin?.close()
  }
}

/** The plan as a report, nothing sent. */
export function dryRunReport(prepared: PreparedTransfer, settings: TransferSettings, now: number): TransferReport {
  return buildReport({
    ...reportBase(prepared, settings),
    dryRun: true,
    startedAt: now,
    finishedAt: now,
    acksObservable: settings.from === 'admin',
    records: [],
    notSent: prepared.plan.map((item) => ({jid: item.jid, from: item.from, target: item.target.name})),
    message: ['dry run: nothing sent', ...prepared.notes].join('; '),
  })
}

/** Nothing was selected: a report that says why, with nothing sent. */
export function emptyReport(prepared: PreparedTransfer, settings: TransferSettings, now: number): TransferReport {
  return buildReport({
    ...reportBase(prepared, settings),
    dryRun: false,
    startedAt: now,
    finishedAt: now,
    acksObservable: settings.from === 'admin',
    records: [],
    notSent: [],
    message: prepared.notes.join('; ') || undefined,
  })
}

function reportBase(prepared: PreparedTransfer, settings: TransferSettings) {
  return {
    command: prepared.command,
    source: prepared.source,
    targets: prepared.targets,
    alreadyThere: prepared.alreadyThere,
    options: {namespace: settings.namespace, from: settings.from, rate: settings.rate, concurrency: settings.concurrency, waitMs: settings.waitMs},
  }
}
