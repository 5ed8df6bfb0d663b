import {configuredNode, nodeTarget, resolveTarget} from '../cluster/targets.js'
import type {Config} from '../config/config-schema.js'
import {loadPlacement} from '../config/placement-config.js'
import {homeFinder} from '../engine/placement.js'
import {countByTarget, evenShares, planDrain, planMove, planRebalance, planRehome, sharesForReceiver} from '../engine/plan.js'
import type {Balance, PreflightSummary} from '../engine/report.js'
import {UsageError} from '../errors.js'
import {readRun} from '../journal/journal-reader.js'
import type {PlannedEntry, RunState} from '../journal/journal-reader.js'
import type {SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import type {SessionInfo} from '../model/session.js'
import type {TransferSettings} from '../model/settings.js'
import type {PlannedTransfer, TransferCommandName, TransferRecord} from '../model/transfer.js'
import {parseServer} from '../protocol/index.js'
import {parseUserJid} from './jids.js'
import {probeSessions, summarizeProbe} from './probe-sessions.js'

/** What the operator asked for, before anything is looked up. */
export type TransferRequest =
  | {command: 'drain'; source: string; to?: string[]; preflight?: boolean}
  | {command: 'move'; jids: string[]; to: string}
  | {command: 'rehome'}
  | {command: 'rebalance'; to?: string; count?: number; share?: number}
  /** Continue a run from its journal; `expect`: what the operator said it was (drain NODE --resume RUN). */
  | {command: 'resume'; runId: string; expect?: {command: TransferCommandName; source: string}}

declare const checked: unique symbol
/** A request whose names and numbers were checked against the config: planTransfer takes only these. */
export type CheckedRequest = TransferRequest & {readonly [checked]: true}

/** What a resumed run carries over from the journal of the interrupted one. */
export interface CarriedOver {
  /** Settled before the interruption: reported as they were. */
  settled: TransferRecord[]
  /** Sent (or maybe sent) but not settled: watched; sent again only if still on the source after the wait. */
  inFlight: TransferRecord[]
}

export interface ResumedRun {
  runId: string
  /** A resumed run keeps the settings it was started with. */
  settings: TransferSettings
  carriedOver: CarriedOver
  /** How to send again to a session an earlier process may have reached, if it is still on its source. */
  resendable: readonly PlannedTransfer[]
}

/** Who goes where, and what the report needs to say about how it was decided. Built once, never changed. */
export interface TransferPlan {
  readonly command: TransferCommandName
  readonly source: string | null
  readonly targets: readonly string[]
  readonly items: readonly PlannedTransfer[]
  /** Sessions per target, as planned. */
  readonly perTarget: Readonly<Record<string, number>>
  readonly alreadyThere: number
  /** Every full JID the listing had: a session seen later under another JID is new. */
  readonly knownJids: ReadonlySet<string>
  /** Said to the operator, e.g. why nothing was selected. */
  readonly notes: readonly string[]
  /** rebalance and rehome: sessions per node before and as planned. */
  readonly balance?: Balance
  /** drain --preflight: what the clients advertise. */
  readonly preflight?: PreflightSummary
  /** Planned from a journal. */
  readonly resumed?: ResumedRun
}

export interface PlanDeps {
  config: Config & {path?: string}
  directory: SessionDirectory
  /** For --preflight (disco#info to each planned session on the admin's link). */
  control: Pick<SessionControl, 'request'>
  runsDir: string
}

/**
 * Everything that can be checked without the network: a bad name or a run that cannot be
 * resumed fails here, before any password is asked for or any login made.
 */
export function checkRequest(config: Config, request: TransferRequest, {runsDir}: {runsDir: string}): CheckedRequest {
  switch (request.command) {
    case 'drain': {
      // Node names as the config spells them: the cluster's own names are accepted too.
      const source = configuredNode(config, request.source)
      const to = request.to?.map((name) => configuredNode(config, name))
      for (const name of to ?? []) {
        if (name === source) throw new UsageError(`--to ${name} is the node being drained`)
        nodeTarget(config, name)
      }
      if (!to?.length && Object.keys(config.nodes).length < 2) throw new UsageError(`no other node to drain ${source} to`)
      return {...request, source, to} as CheckedRequest
    }
    case 'move':
      if (request.jids.length === 0) throw new UsageError('name at least one JID to move')
      request.jids.forEach(parseUserJid)
      resolveTarget(config, request.to)
      break
    case 'rebalance':
      if (!request.to && (request.count !== undefined || request.share !== undefined)) throw new UsageError('--count and --share need --to NODE')
      if (request.to) return {...request, to: nodeTarget(config, request.to).name} as CheckedRequest
      break
    case 'resume': {
      const expect = request.expect && {...request.expect, source: configuredNode(config, request.expect.source)}
      resumableRun(readRun(runsDir, request.runId), expect)
      return {...request, expect} as CheckedRequest
    }
    default:
      break
  }
  return request as CheckedRequest
}

/** Look at the cluster (and for a resume, the journal) and decide who goes where. Sends nothing. */
export async function planTransfer(request: CheckedRequest, deps: PlanDeps): Promise<TransferPlan> {
  switch (request.command) {
    case 'drain': {
      const plan = await planDrainRequest(request, deps)
      return request.preflight && plan.items.length > 0 ? {...plan, preflight: await preflight(plan.items, deps.control)} : plan
    }
    case 'move':
      return planMoveRequest(request, deps)
    case 'rehome':
      return planRehomeRequest(deps)
    case 'rebalance':
      return planRebalanceRequest(request, deps)
    case 'resume':
      return planResume(request, deps)
  }
}

function freeze(plan: Omit<TransferPlan, 'perTarget'>): TransferPlan {
  return Object.freeze({...plan, perTarget: Object.freeze(countByTarget(plan.items))})
}

async function planDrainRequest(request: Extract<TransferRequest, {command: 'drain'}>, {config, directory}: PlanDeps): Promise<TransferPlan> {
  const {source} = request
  const targetNames = request.to?.length ? [...new Set(request.to)] : Object.keys(config.nodes).filter((name) => name !== source)
  const targets = targetNames.map((name) => nodeTarget(config, name))
  const sessions = await directory.listSessions()
  const onSource = sessions.filter((session) => session.node === source && !isAdmin(config, session))
  const items = planDrain({sessions: onSource, targets, loads: loadsOf(sessions)})
  return freeze({
    command: 'drain',
    source,
    targets: targetNames,
    items,
    alreadyThere: 0,
    knownJids: new Set(sessions.map((session) => session.jid)),
    notes: items.length === 0 ? [`no sessions on ${source}: nothing to do`] : [],
  })
}

async function planMoveRequest(request: Extract<TransferRequest, {command: 'move'}>, {config, directory}: PlanDeps): Promise<TransferPlan> {
  const wanted = request.jids.map(parseUserJid)
  const target = resolveTarget(config, request.to)
  const byBare = await directory.sessionsOf(wanted.map((jid) => jid.bare))
  const selected = new Map<string, SessionInfo>()
  const offline: string[] = []
  for (const jid of wanted) {
    const sessions = (byBare.get(jid.bare) ?? []).filter((session) => !jid.resource || session.resource === jid.resource)
    if (sessions.length === 0) offline.push(jid.resource ? `${jid.bare}/${jid.resource}` : jid.bare)
    for (const session of sessions) if (!isAdmin(config, session)) selected.set(session.jid, session)
  }
  const {plan: items, alreadyThere} = planMove([...selected.values()], target)
  return freeze({
    command: 'move',
    source: null,
    targets: [target.name],
    items,
    alreadyThere: alreadyThere.length,
    knownJids: new Set([...byBare.values()].flat().map((session) => session.jid)),
    notes: [
      ...(offline.length > 0 ? [`not online: ${offline.join(', ')}`] : []),
      ...(alreadyThere.length > 0 ? [`already on ${target.name}: ${alreadyThere.map((session) => session.jid).join(', ')}`] : []),
      ...(items.length === 0 ? ['nothing to move'] : []),
    ],
  })
}

/** Every session that is not on its user's home node goes home. */
async function planRehomeRequest({config, directory}: PlanDeps): Promise<TransferPlan> {
  const homeOf = homeFinder(await loadPlacement(config.placement, Object.keys(config.nodes), config.path))
  const sessions = (await directory.listSessions()).filter((session) => !isAdmin(config, session) && config.nodes[session.node])
  const items = planRehome(sessions, homeOf, nodeTargets(config))
  const homeless = sessions.filter((session) => homeOf(session.bare) === undefined).length
  return freeze({
    command: 'rehome',
    source: null,
    targets: [...new Set(items.map((item) => item.target.name))].sort(),
    items,
    alreadyThere: sessions.length - items.length - homeless,
    knownJids: new Set(sessions.map((session) => session.jid)),
    notes: [
      ...(homeless > 0 ? [`${homeless} session(s) of users no placement rule matches: left where they are`] : []),
      ...(items.length === 0 ? ['every session is on its home node: nothing to do'] : []),
    ],
    balance: balanceOf(countsByNode(config, sessions), items),
  })
}

/** A node takes its share from the others (most loaded first), or all nodes are evened out. */
async function planRebalanceRequest(request: Extract<TransferRequest, {command: 'rebalance'}>, {config, directory}: PlanDeps): Promise<TransferPlan> {
  const sessions = (await directory.listSessions()).filter((session) => !isAdmin(config, session) && config.nodes[session.node])
  const before = countsByNode(config, sessions)
  const nodes = Object.keys(config.nodes)
  let wanted: Map<string, number>
  if (request.to) {
    const has = before.get(request.to) ?? 0
    const goal = request.count !== undefined ? has + request.count : Math.round((request.share ?? 1 / nodes.length) * sessions.length)
    wanted = sharesForReceiver(request.to, Math.max(0, goal - has), before)
  } else {
    wanted = evenShares(sessions.length, nodes, before)
  }
  const items = planRebalance(sessions, wanted, nodeTargets(config))
  return freeze({
    command: 'rebalance',
    source: null,
    targets: request.to ? [request.to] : [...new Set(items.map((item) => item.target.name))].sort(),
    items,
    alreadyThere: 0,
    knownJids: new Set(sessions.map((session) => session.jid)),
    notes: items.length === 0 ? ['already balanced: nothing to do'] : [],
    balance: balanceOf(before, items),
  })
}

/**
 * Continue an interrupted run from its journal: sessions never sent a packet are
 * sent one; sessions that were (or may have been) are only watched, and sent again
 * only if still on their source after the wait; a drain also takes sessions that
 * appeared on its source since.
 */
async function planResume(request: Extract<TransferRequest, {command: 'resume'}>, {config, directory, runsDir}: PlanDeps): Promise<TransferPlan> {
  const state = resumableRun(readRun(runsDir, request.runId), request.expect)
  const {header} = state
  const records = [...state.records.values()]
  const settled = records.filter((record) => state.settled.has(record.jid))
  const inFlight = records.filter((record) => !state.settled.has(record.jid))
  const byJid = new Map(state.planned.map((entry) => [entry.jid, entry]))
  const unsent = state.planned.filter((entry) => !state.records.has(entry.jid)).map(toPlanned)
  const notes: string[] = [`resumed run ${header.id}: ${settled.length} settled before, ${inFlight.length} in flight, ${unsent.length} not sent yet`]
  let added: PlannedTransfer[] = []
  if (header.command === 'drain' && header.source) {
    const sessions = await directory.listSessions()
    const fresh = sessions.filter((session) => session.node === header.source && !isAdmin(config, session) && !byJid.has(session.jid))
    if (fresh.length > 0) {
      added = planDrain({sessions: fresh, targets: header.targets.map((name) => nodeTarget(config, name)), loads: loadsOf(sessions)})
      notes.push(`${added.length} session(s) appeared on ${header.source} since`)
    }
  }
  return freeze({
    command: header.command,
    source: header.source,
    targets: header.targets,
    items: [...unsent, ...added],
    alreadyThere: 0,
    // A client that changed resource may have reconnected while no process watched: only uptime can tell.
    knownJids: new Set(),
    notes,
    resumed: {
      runId: header.id,
      settings: header.settings,
      carriedOver: {settled, inFlight},
      resendable: inFlight.map((record) => toPlanned(byJid.get(record.jid)!)),
    },
  })
}

function resumableRun(state: RunState, expect?: {command: TransferCommandName; source: string}): RunState {
  const {header} = state
  if (expect && (header.command !== expect.command || header.source !== expect.source)) {
    throw new UsageError(`run ${header.id} is a ${header.command}${header.source ? ` of ${header.source}` : ''}, not a ${expect.command} of ${expect.source}`)
  }
  if (state.finished) throw new UsageError(`run ${header.id} finished already (exit ${state.finished.exitCode}): see xtransfer report ${header.id}`)
  return state
}

/** disco#info of every planned session, on the admin's link, before anything is sent. */
async function preflight(items: readonly PlannedTransfer[], control: Pick<SessionControl, 'request'>): Promise<PreflightSummary> {
  const sessions = items.map((item) => ({jid: item.jid, node: item.from}))
  return summarizeProbe(await probeSessions((node, iq, timeoutMs) => control.request(node, iq, timeoutMs), sessions))
}

function toPlanned(entry: PlannedEntry): PlannedTransfer {
  const address = parseServer(entry.address)
  if (!address.ok) throw new UsageError(`journal: bad address for ${entry.jid}: ${address.reason}`)
  return {jid: entry.jid, bare: entry.bare, resource: entry.resource, from: entry.from, target: {name: entry.target, address: address.value, isNode: entry.isNode}}
}

function isAdmin(config: Config, session: SessionInfo): boolean {
  return session.bare === config.admin.jid
}

function loadsOf(sessions: SessionInfo[]): Map<string, number> {
  const loads = new Map<string, number>()
  for (const session of sessions) loads.set(session.node, (loads.get(session.node) ?? 0) + 1)
  return loads
}

function nodeTargets(config: Config) {
  return new Map(Object.keys(config.nodes).map((name) => [name, nodeTarget(config, name)]))
}

/** Sessions per node, every configured node listed (0 when empty). */
export function countsByNode(config: Config, sessions: SessionInfo[]): Map<string, number> {
  const counts = new Map(Object.keys(config.nodes).map((name) => [name, 0]))
  for (const session of sessions) if (counts.has(session.node)) counts.set(session.node, counts.get(session.node)! + 1)
  return counts
}

function balanceOf(before: Map<string, number>, items: PlannedTransfer[]): Balance {
  const planned = new Map(before)
  for (const item of items) {
    planned.set(item.from, (planned.get(item.from) ?? 0) - 1)
    planned.set(item.target.name, (planned.get(item.target.name) ?? 0) + 1)
  }
  return {before: Object.fromEntries(before), planned: Object.fromEntries(planned)}
}

