import {nodeTarget} from '../cluster/targets.js'
import type {Config} from '../config/config-schema.js'
import {kickStuckSessions, stuckOnSource} from '../engine/kick-fallback.js'
import {adminPacketSender, domainPacketSender, type PacketSender} from '../engine/packet-senders.js'
import {type Balance, buildReport, reportExitCode, type TransferReport} from '../engine/report.js'
import type {MoveMethod} from '../engine/ladder/methods.js'
import {type RunEvent, runTransfers} from '../engine/run-transfers.js'
import {watchTargets} from '../engine/target-watch.js'
import {EXIT, UsageError, XtransferError} from '../errors.js'
import {newRunId, openJournal} from '../journal/journal-writer.js'
import {acquireRunLock} from '../journal/run-lock.js'
import {runsIn} from '../journal/runs-dir.js'
import {ackToText, isRefusal} from '../model/ack.js'
import type {Clock} from '../model/clock.js'
import type {ControlAbilities, RunNeeds, SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import type {TransferChoices, TransferSettings} from '../model/settings.js'
import type {PlannedTransfer, TransferRecord} from '../model/transfer.js'
import {formatServer, namespacesFor} from '../protocol/index.js'
import {countsNow} from './plan-transfer.js'
import type {CarriedOver, TransferPlan} from './plan-transfer.js'

export type {RunEvent}

/**
 * How often pending sessions are looked up. A quarter second keeps the reported
 * latency within a poll of the truth while the directory's cost follows what is pending.
 */
const POLL_MS = 250
/** How often the cluster's members are asked for while packets go out (list_cluster is cheap). */
const TARGET_CHECK_MS = 2_000

export interface RunDeps {
  config: Config
  directory: SessionDirectory
  control: SessionControl
  /** Where journals and locks live. */
  stateDir: string
  clock: Clock
  onEvent?: (event: RunEvent) => void
  /** Stops sending; what is in flight is still watched for a short grace. */
  signal?: AbortSignal
  /** --timeout: the whole run ends this long after it started, whatever is still pending. */
  timeoutMs?: number
  /** Told the run id as soon as its journal is open, so that an interruption can name it. */
  onRunId?: (runId: string) => void
  /** The cluster's own preparation for a run (open-cluster.ts: an API token), before the first move. */
  prepareRun?: (needs: RunNeeds) => Promise<void>
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
    // An empty node is drained too: it is cordoned all the same, so that it stays empty.
    const cordoned = plan.command === 'drain' && plan.source && settings.cordon && plan.abilities.cordon && !plan.resumed
    if (cordoned) await control.cordon(plan.source!)
    const notes = [
      ...plan.notes,
      ...(cordoned ? [`${plan.source} is cordoned: it takes no new client connections until \`xtransfer uncordon ${plan.source}\``] : []),
    ]
    return {report: reportWithoutRun(plan, settings, clock.now(), false, notes), interrupted: false, exitCode: EXIT.ok}
  }
  if (settings.from === 'domain' && !(await control.abilities()).sendAsDomain)
    throw new UsageError('this directory cannot send stanzas as the domain: use --from admin')
  const sender: PacketSender =
    settings.from === 'admin'
      ? adminPacketSender((node, iq, timeoutMs) => control.request(node, iq, timeoutMs), {
          domain: config.domain,
          namespaces: namespacesFor(settings.namespace),
          ackTimeoutMs: settings.ackTimeoutMs,
        })
      : domainPacketSender((stanza, from, to) => control.sendAsDomain(stanza, from, to), {domain: config.domain, namespaces: namespacesFor(settings.namespace)})

  const startedAt = clock.now()
  const runId = plan.resumed?.runId ?? newRunId(startedAt, plan.command)
  // Refused before anything is written or sent: another run is moving sessions off these nodes.
  const lock = acquireRunLock({stateDir: deps.stateDir, cluster: config.domain, nodes: sourcesOf(plan), runId, command: plan.command})
  const journal = openJournal(runsIn(deps.stateDir), runId)
  deps.onRunId?.(journal.id)
  const targets = watchTargets(directory, clock, {nodeOf: nodeOfServer(config), everyMs: TARGET_CHECK_MS, initiallyUp: plan.up})
  const deadline = new AbortController()
  const ended = new AbortController()
  if (deps.timeoutMs !== undefined) void sleepUnless(clock, deps.timeoutMs, ended.signal).then((elapsed) => elapsed && deadline.abort())
  try {
    if (!plan.resumed) {
      journal.append({type: 'run', v: 1, id: journal.id, command: plan.command, source: plan.source, targets: [...plan.targets], settings, startedAt})
    } else {
      journal.append({type: 'resumed', at: startedAt, pid: process.pid})
    }
    for (const item of plan.items) journal.append(plannedEntry(item))

    const methods = ladderMethods(settings, plan.abilities)
    try {
      // The admin's login and the cluster's preparation (a token: one API call) side by side.
      const cordon = plan.command === 'drain' && Boolean(plan.source) && Boolean(settings.cordon) && plan.abilities.cordon && !plan.resumed
      await Promise.all([
        settings.from === 'admin' && methods.includes('packet') ? control.open() : undefined,
        deps.prepareRun?.({methods, kick: settings.fallback === 'kick', sendAsDomain: settings.from === 'domain', cordon}),
      ])
      // kubectl cordons before it evicts: with the source closed to new connections, a moved
      // client cannot land back on it, whatever its DNS or load balancer says.
      if (cordon) {
        await control.cordon(plan.source!)
        journal.append({type: 'cordoned', node: plan.source!, at: clock.now()})
      }
    } catch (error) {
      // Nothing was sent: a failed run, not a resumable one.
      journal.append({type: 'finished', at: clock.now(), exitCode: exitCodeOf(error), reason: (error as Error).message})
      throw error
    }

    const onEvent = (event: RunEvent) => {
      if (event.type === 'retargeted') journal.append(plannedEntry(event.item))
      else if (event.type === 'sending') journal.append({type: 'sending', jid: event.item.jid, at: event.at})
      else if (event.type === 'sent')
        journal.append({
          type: 'sent',
          jid: event.record.jid,
          at: event.record.rungs.at(-1)?.at ?? event.record.sentAt,
          ack: ackToText(event.record.ack),
          ackMs: event.record.ackMs,
        })
      else if (event.type === 'acting') journal.append({type: 'acting', jid: event.item.jid, method: event.method, at: event.at})
      else if (event.type === 'acted')
        journal.append({
          type: 'acted',
          jid: event.record.jid,
          method: event.rung.method,
          at: event.rung.at,
          result: event.rung.result,
          ...(event.rung.reason ? {reason: event.rung.reason} : {}),
        })
      else
        journal.append({
          type: 'settled',
          jid: event.record.jid,
          outcome: event.record.outcome,
          reconnectedTo: event.record.reconnectedTo,
          reconnectedJid: event.record.reconnectedJid,
          latencyMs: event.record.latencyMs,
          method: event.record.method,
        })
      deps.onEvent?.(event)
    }
    const retargetTo = plan.command === 'drain' ? plan.targets : []
    const choicesByName = new Map(retargetTo.map((name) => [name, nodeTarget(config, name)]))
    const ladder = methods.length > 1 || methods[0] !== 'packet' ? {methods, control} : undefined
    const runPlan = (items: readonly PlannedTransfer[], alreadySent: Array<{record: TransferRecord; item: PlannedTransfer}> = []) =>
      runTransfers({
        plan: [...items],
        alreadySent,
        sender,
        directory,
        clock,
        options: settings,
        knownJids: new Set(plan.knownJids),
        onEvent,
        signal: deps.signal,
        stop: deadline.signal,
        targets: {watch: targets, retargetTo, choices: choicesByName},
        ladder,
      })

    const inFlight = carriedOver?.inFlight ?? []
    const first = await runPlan(plan.items, inFlight)
    let records = first.records
    let result = first
    // Packets only: a session an earlier process may have sent a packet to gets a second one only
    // if it is still on its source now. (A ladder goes on to the rungs it has not tried instead.)
    const carried = new Set(inFlight.map(({record}) => record))
    const resend = ladder ? [] : records.filter((record) => carried.has(record) && record.outcome === 'not-moved' && !isRefusal(record.ack))
    if (resend.length > 0 && !first.error && !first.interrupted && !first.stopped) {
      const byJid = new Map(plan.resumed?.resendable.map((item) => [item.jid, item]))
      const again = await runPlan(resend.flatMap((record) => byJid.get(record.jid) ?? []))
      records = [...records.filter((record) => !resend.includes(record)), ...again.records]
      result = {...again, unsent: [...first.unsent, ...again.unsent], retargeted: first.retargeted + again.retargeted, pace: [...first.pace, ...again.pace]}
    }
    const cutShort = Boolean(result.error || result.interrupted || result.stopped)
    if (settings.fallback === 'kick' && !cutShort) {
      await kickStuckSessions(stuckOnSource(records), directory, control, clock, settings, (record) => onEvent({type: 'settled', record}))
    }
    const balance = plan.balance && !result.error ? await withCountsAfter(plan.balance, config, directory) : plan.balance
    const report = buildReport({
      ...reportBase(plan, settings),
      balance,
      dryRun: false,
      startedAt: carriedOver
        ? [...carriedOver.settled, ...inFlight.map(({record}) => record)].reduce((first, record) => Math.min(first, record.sentAt), startedAt)
        : startedAt,
      finishedAt: clock.now(),
      acksObservable: sender.acksObservable,
      records: [...(carriedOver?.settled ?? []), ...records],
      notSent: result.unsent.map((item) => ({jid: item.jid, from: item.from, target: item.target.name})),
      error: result.error?.message ?? (result.stopped ? `--timeout ${formatSeconds(deps.timeoutMs ?? 0)} passed before the run was done` : undefined),
      runId: journal.id,
      resumable: cutShort,
      pace: result.pace.map((sample) => ({
        atMs: Math.max(0, Math.round(sample.at - startedAt)),
        rate: Math.round(sample.rate * 10) / 10,
        reason: sample.reason,
      })),
      message: [
        ...plan.notes,
        ...(lock.tookOver.length > 0 ? [tookOverNote(lock.tookOver)] : []),
        ...(plan.command === 'drain' && plan.source && settings.cordon && plan.abilities.cordon
          ? [`${plan.source} is cordoned: it takes no new client connections until \`xtransfer uncordon ${plan.source}\``]
          : []),
        ...[...targets.left.keys()].map(
          (node) => `${node} left the cluster during the run${result.retargeted ? `: ${result.retargeted} session(s) went to other nodes instead` : ''}`,
        ),
        ...(sender.acksObservable ? [] : ['sent as the domain: client acknowledgements are not observable']),
        ...(control.reconnects
          ? [`the admin link dropped and was restored ${control.reconnects} time(s); answers lost with it were resolved by watching`]
          : []),
        `run ${journal.id}`,
        ...(cutShort ? [`resume with: xtransfer resume ${journal.id}`] : []),
      ].join('; '),
    })
    const exitCode = result.interrupted ? EXIT.interrupted : result.stopped ? EXIT.timedOut : result.error ? exitCodeOf(result.error) : reportExitCode(report)
    // Interrupted or stopped early, the run stays resumable: a 'stopped' line (or none), never 'finished'.
    if (result.error || result.stopped) journal.append({type: 'stopped', at: clock.now(), exitCode, reason: report.error ?? 'stopped'})
    else if (!result.interrupted) journal.append({type: 'finished', at: clock.now(), exitCode})
    return {report, runId: journal.id, failure: result.error, interrupted: result.interrupted, exitCode}
  } finally {
    ended.abort()
    await targets.stop()
    journal.close()
    lock.release()
  }
}

/** The rungs a run climbs: the operator's, less what the server cannot do (no companion: packets only). */
export function ladderMethods(settings: TransferSettings, abilities: ControlAbilities): MoveMethod[] {
  const can: Record<MoveMethod, boolean> = {packet: true, handover: abilities.handover, redirect: abilities.redirect, close: abilities.close}
  const methods = (settings.methods ?? ['packet']).filter((method) => can[method])
  return methods.length > 0 ? methods : ['packet']
}

/** Sleeps `ms` on the clock in short steps; false when `cancel` came first. */
async function sleepUnless(clock: Clock, ms: number, cancel: AbortSignal): Promise<boolean> {
  const until = clock.now() + ms
  while (!cancel.aborted && clock.now() < until) await clock.sleep(Math.min(250, until - clock.now()))
  return !cancel.aborted
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`
}

/** The nodes a run takes sessions from: what its lock covers. */
function sourcesOf(plan: TransferPlan): string[] {
  return [
    ...new Set([
      ...(plan.source ? [plan.source] : []),
      ...plan.items.map((item) => item.from),
      ...(plan.resumed?.carriedOver.inFlight ?? []).map(({record}) => record.from),
    ]),
  ]
}

function nodeOfServer(config: Config): (server: string) => string | undefined {
  const byServer = new Map(Object.entries(config.nodes).map(([name, node]) => [node.server, name]))
  return (server) => byServer.get(server)
}

function exitCodeOf(error: unknown): number {
  return error instanceof XtransferError ? error.exitCode : EXIT.access
}

function tookOverNote(holders: Array<{runId: string; pid: number}>): string {
  return `took over the lock of run(s) ${holders.map((holder) => `${holder.runId} (pid ${holder.pid}, gone)`).join(', ')}`
}

function plannedEntry(item: PlannedTransfer) {
  return {
    type: 'planned' as const,
    jid: item.jid,
    bare: item.bare,
    resource: item.resource,
    from: item.from,
    target: item.target.name,
    address: formatServer(item.target.address),
    isNode: item.target.isNode,
  }
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
    options: {
      namespace: settings.namespace,
      from: settings.from,
      rate: settings.rate,
      concurrency: settings.concurrency,
      waitMs: settings.waitMs,
      fallback: settings.fallback ?? 'none',
      ...(settings.methods ? {methods: settings.methods} : {}),
      ...(settings.cordon !== undefined ? {cordon: settings.cordon} : {}),
    },
  }
}

/** The balance with what the directory lists once the run is over (left out if it cannot say). */
async function withCountsAfter(balance: Balance, config: Config, directory: SessionDirectory): Promise<Balance> {
  try {
    return {...balance, after: Object.fromEntries(await countsNow(config, directory))}
  } catch {
    return balance
  }
}
