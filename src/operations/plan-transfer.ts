import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {configuredNode, nodeTarget, resolveTarget} from '../cluster/targets.js'
import {preloadXmppClient} from '../connection/admin-session.js'
import type {Config} from '../config/config-schema.js'
import {loadPlacement} from '../config/placement-config.js'
import {homeFinder} from '../engine/placement.js'
import {
  countByTarget,
  evenShares,
  holdingOf,
  type NodeHolding,
  planDrain,
  planMove,
  planRebalance,
  planRebalanceOf,
  planRehome,
  sharesForReceiver,
} from '../engine/plan.js'
import type {Balance, PreflightSummary} from '../engine/report.js'
import {UsageError} from '../errors.js'
import {readRun, replay} from '../journal/journal-reader.js'
import type {PlannedEntry, RunState} from '../journal/journal-reader.js'
import {runsIn} from '../journal/runs-dir.js'
import type {ControlAbilities, SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import type {ServerView, SessionInfo} from '../model/session.js'
import type {TransferSettings} from '../model/settings.js'
import type {PlannedTransfer, TransferCommandName, TransferRecord, TransferTarget} from '../model/transfer.js'
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
  /** Moved (or maybe moved) but not settled: watched first, then up the rungs not tried yet. */
  inFlight: Array<{record: TransferRecord; item: PlannedTransfer}>
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
  /**
   * Every full JID the listing had of the users planned (the tracker looks at no one else's): a
   * session of theirs seen later under another JID is new.
   */
  readonly knownJids: ReadonlySet<string>
  /** Said to the operator, e.g. why nothing was selected. */
  readonly notes: readonly string[]
  /** rebalance and rehome: sessions per node before and as planned. */
  readonly balance?: Balance
  /** drain --preflight: what the clients advertise. */
  readonly preflight?: PreflightSummary
  /** Planned from a journal. */
  readonly resumed?: ResumedRun
  /** Configured nodes the cluster listed as members when the plan was made. */
  readonly up: readonly string[]
  /** What the server can do besides packets (the companion), asked once for the plan. */
  readonly abilities: ControlAbilities
}

export interface PlanDeps {
  config: Config & {path?: string}
  directory: SessionDirectory
  /** For --preflight (disco#info to each planned session on the admin's link) and what the server can do. */
  control: Pick<SessionControl, 'request' | 'abilities'>
  /** Where journals live (a resume reads its run, and the runs started after it). */
  stateDir: string
}

/**
 * Everything that can be checked without the network: a bad name or a run that cannot be
 * resumed fails here, before any password is asked for or any login made.
 */
export function checkRequest(config: Config, request: TransferRequest, {stateDir}: {stateDir: string}): CheckedRequest {
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
      resumableRun(readRun(runsIn(stateDir), request.runId), expect, runsIn(stateDir))
      return {...request, expect} as CheckedRequest
    }
    default:
      break
  }
  return request as CheckedRequest
}

/** Look at the cluster (and for a resume, the journal) and decide who goes where. Sends nothing. */
export async function planTransfer(request: CheckedRequest, deps: PlanDeps): Promise<TransferPlan> {
  // The run's admin login needs @xmpp/client (~110 ms of CPU to load): loaded while the plan's API calls are in flight.
  preloadXmppClient().catch(() => {})
  const abilities = await deps.control.abilities()
  const plan = await planFor(request, deps, abilities)
  const companion = abilities.handover || abilities.redirect || abilities.close
  return companion || plan.items.length === 0
    ? plan
    : freeze({...plan, notes: [...plan.notes, 'no server companion on this cluster: packets only (clients that refuse them stay, or --fallback kick)']})
}

async function planFor(request: CheckedRequest, deps: PlanDeps, abilities: ControlAbilities): Promise<TransferPlan> {
  switch (request.command) {
    case 'drain': {
      const plan = await planDrainRequest(request, deps, abilities)
      return request.preflight && plan.items.length > 0 ? {...plan, preflight: await preflight(plan.items, deps.control)} : plan
    }
    case 'move':
      return planMoveRequest(request, deps, abilities)
    case 'rehome':
      return planRehomeRequest(deps, abilities)
    case 'rebalance':
      return planRebalanceRequest(request, deps, abilities)
    case 'resume':
      return planResume(request, deps, abilities)
  }
}

function freeze(plan: Omit<TransferPlan, 'perTarget'>): TransferPlan {
  // The plan is one value from here on: nothing downstream changes who goes where.
  return Object.freeze({...plan, perTarget: Object.freeze(countByTarget(plan.items))})
}

async function planDrainRequest(
  request: Extract<TransferRequest, {command: 'drain'}>,
  {config, directory}: PlanDeps,
  abilities: ControlAbilities,
): Promise<TransferPlan> {
  const {source} = request
  const [servers, listing] = await Promise.all([directory.listServers(), drainListing(directory, source)])
  const up = upNodes(config, servers)
  const asked = request.to?.length ? [...new Set(request.to)] : Object.keys(config.nodes).filter((name) => name !== source)
  const {targets, notes} = upTargets(asked, up, config)
  const onSource = listing.onSource.filter((session) => session.node === source && !isAdmin(config, session))
  if (onSource.length > 0 && targets.length === 0) throw new UsageError(`no node to drain ${source} to: ${notes.join('; ')}`)
  const items = planDrain({sessions: onSource, targets, loads: listing.loads})
  return freeze({
    command: 'drain',
    source,
    targets: targets.map((target) => target.name),
    items,
    alreadyThere: 0,
    knownJids: knownJidsOf(items, await listing.sessionsOfUsers(items)),
    notes: [...notes, ...(items.length === 0 ? [`no sessions on ${source}: nothing to do`] : [])],
    up: [...up],
    abilities,
  })
}

async function planMoveRequest(
  request: Extract<TransferRequest, {command: 'move'}>,
  {config, directory}: PlanDeps,
  abilities: ControlAbilities,
): Promise<TransferPlan> {
  const wanted = request.jids.map(parseUserJid)
  const target = resolveTarget(config, request.to)
  const [servers, byBare] = await Promise.all([directory.listServers(), directory.sessionsOf(wanted.map((jid) => jid.bare))])
  const up = upNodes(config, servers)
  if (target.isNode && !up.has(target.name))
    throw new UsageError(`${target.name} is not in the cluster now (${config.nodes[target.name].server} is not listed: down?): nothing sent`)
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
    up: [...up],
    abilities,
  })
}

/** Every session that is not on its user's home node goes home. */
async function planRehomeRequest({config, directory}: PlanDeps, abilities: ControlAbilities): Promise<TransferPlan> {
  const homeOf = homeFinder(await loadPlacement(config.placement, Object.keys(config.nodes), config.path))
  const [servers, listed] = await Promise.all([directory.listServers(), directory.listSessions()])
  const up = upNodes(config, servers)
  const sessions = listed.filter((session) => !isAdmin(config, session) && config.nodes[session.node])
  const homes = nodeTargets(config)
  const downHome = sessions.filter((session) => {
    const home = homeOf(session.bare)
    return home !== undefined && home !== session.node && !up.has(home)
  })
  const items = planRehome(sessions, homeOf, new Map([...homes].filter(([name]) => up.has(name))))
  const homeless = sessions.filter((session) => homeOf(session.bare) === undefined).length
  return freeze({
    command: 'rehome',
    source: null,
    targets: [...new Set(items.map((item) => item.target.name))].sort(),
    items,
    alreadyThere: sessions.length - items.length - homeless - downHome.length,
    knownJids: knownJidsOf(items, sessions),
    up: [...up],
    abilities,
    notes: [
      ...(homeless > 0 ? [`${homeless} session(s) of users no placement rule matches: left where they are`] : []),
      ...(downHome.length > 0 ? [`${downHome.length} session(s) whose home node is not in the cluster now: left where they are`] : []),
      ...(items.length === 0 ? ['every session is on its home node: nothing to do'] : []),
    ],
    balance: balanceOf(countsByNode(config, sessions), items),
  })
}

/** A node takes its share from the others (most loaded first), or all nodes are evened out. */
async function planRebalanceRequest(
  request: Extract<TransferRequest, {command: 'rebalance'}>,
  {config, directory}: PlanDeps,
  abilities: ControlAbilities,
): Promise<TransferPlan> {
  // With the optional per-node calls, one node's sessions are held at a time, not the cluster's.
  const byNode = Boolean(directory.sessionsOn && directory.sessionCounts)
  const [servers, listed, counts] = await Promise.all([
    directory.listServers(),
    byNode ? undefined : directory.listSessions(),
    byNode ? countsNow(config, directory) : undefined,
  ])
  const up = upNodes(config, servers)
  if (request.to && !up.has(request.to))
    throw new UsageError(`${request.to} is not in the cluster now (${config.nodes[request.to].server} is not listed: down?): nothing sent`)
  const sessions = listed?.filter((session) => !isAdmin(config, session) && config.nodes[session.node])
  const before = counts ?? countsByNode(config, sessions!)
  // Only nodes in the cluster take part: a down node neither gives nor takes.
  const nodes = Object.keys(config.nodes).filter((name) => up.has(name))
  const total = nodes.reduce((sum, node) => sum + (before.get(node) ?? 0), 0)
  let wanted: Map<string, number>
  if (request.to) {
    const has = before.get(request.to) ?? 0
    const goal = request.count !== undefined ? has + request.count : Math.round((request.share ?? 1 / nodes.length) * total)
    wanted = sharesForReceiver(request.to, Math.max(0, goal - has), before)
  } else {
    wanted = evenShares(total, nodes, before)
  }
  const items = sessions
    ? planRebalance(
        sessions.filter((session) => up.has(session.node)),
        wanted,
        nodeTargets(config),
      )
    : planRebalanceOf(await holdingsByNode(config, directory, nodes, wanted), wanted, nodeTargets(config))
  const known = sessions ?? (await sessionsOfUsers(directory, items)).filter((session) => config.nodes[session.node])
  return freeze({
    command: 'rebalance',
    source: null,
    targets: request.to ? [request.to] : [...new Set(items.map((item) => item.target.name))].sort(),
    items,
    alreadyThere: 0,
    knownJids: knownJidsOf(items, known),
    notes: [
      ...Object.keys(config.nodes)
        .filter((name) => !up.has(name))
        .map((name) => `${name} is not in the cluster now: left out`),
      ...(items.length === 0 ? ['already balanced: nothing to do'] : []),
    ],
    balance: balanceOf(before, items),
    up: [...up],
    abilities,
  })
}

/**
 * What each node gives, listed one node at a time (the directory's sessionsOn): only the
 * sessions a node gives are kept, so a rebalance of 10^6 sessions holds one node's listing
 * (50,000) at a time, not the cluster's (bench:scale). In the order planRebalance takes givers.
 */
async function holdingsByNode(config: Config, directory: SessionDirectory, nodes: string[], wanted: Map<string, number>): Promise<NodeHolding[]> {
  const holdings: Array<NodeHolding & {firstJid: string | undefined}> = []
  for (const node of nodes) {
    const sessions = (await directory.sessionsOn!(node)).filter((session) => session.node === node && !isAdmin(config, session))
    if (sessions.length > 0) holdings.push(holdingOf(node, sessions, wanted.get(node) ?? 0))
  }
  return holdings.sort((a, b) => (a.firstJid! < b.firstJid! ? -1 : a.firstJid! > b.firstJid! ? 1 : 0))
}

/** Every session of the planned users (for their known JIDs), on any node. */
async function sessionsOfUsers(directory: SessionDirectory, items: readonly PlannedTransfer[]): Promise<SessionInfo[]> {
  return items.length === 0 ? [] : [...(await directory.sessionsOf([...new Set(items.map((item) => item.bare))])).values()].flat()
}

/**
 * Continue an interrupted run from its journal, planned again from what the directory
 * says now: a session still on the node the run took it from goes to one of the run's own
 * targets that is up; one that is elsewhere now is left alone (something else moved it);
 * a session the earlier process may have sent a packet to is watched, and sent another only
 * if it is still on its source after the wait. A drain also takes the sessions that
 * appeared on its source since. A run that a later run took sessions from is refused.
 */
async function planResume(
  request: Extract<TransferRequest, {command: 'resume'}>,
  {config, directory, stateDir}: PlanDeps,
  abilities: ControlAbilities,
): Promise<TransferPlan> {
  const state = resumableRun(readRun(runsIn(stateDir), request.runId), request.expect, runsIn(stateDir))
  const {header} = state
  const settledBefore = [...state.records.values()].filter((record) => state.settled.has(record.jid))
  const pending = state.planned.filter((entry) => !state.settled.has(entry.jid))
  const [servers, listed] = await Promise.all([directory.listServers(), directory.listSessions()])
  const up = upNodes(config, servers)
  const now = new Map(listed.map((session) => [session.jid, session]))
  const {targets, notes: targetNotes} = header.command === 'drain' ? upTargets(header.targets, up, config) : {targets: [], notes: []}
  const loads = loadsOf(listed)
  /** Where this session should go now, or undefined when no target of the run is up. */
  const retarget = (entry: PlannedEntry): PlannedTransfer | undefined => {
    const base = toPlanned(entry)
    if (header.command === 'drain') {
      if (targets.length === 0) return undefined
      const best = targets.reduce((a, b) => ((loads.get(b.name) ?? 0) < (loads.get(a.name) ?? 0) ? b : a))
      loads.set(best.name, (loads.get(best.name) ?? 0) + 1)
      return {...base, target: best}
    }
    return base.target.isNode && !up.has(base.target.name) ? undefined : base
  }

  const inFlight: Array<{record: TransferRecord; item: PlannedTransfer}> = []
  const resendable: PlannedTransfer[] = []
  const items: PlannedTransfer[] = []
  let elsewhere = 0
  let gone = 0
  let noTarget = 0
  for (const entry of pending) {
    const record = state.records.get(entry.jid)
    const session = now.get(entry.jid)
    if (record) {
      const again = session?.node === entry.from ? retarget(entry) : undefined
      inFlight.push({record, item: again ?? toPlanned(entry)})
      if (again) resendable.push(again)
      continue
    }
    if (!session) gone++
    else if (session.node !== entry.from) elsewhere++
    else {
      const item = retarget(entry)
      if (item) items.push(item)
      else noTarget++
    }
  }
  const notes = [
    `resumed run ${header.id}: ${settledBefore.length} settled before, ${inFlight.length} in flight, ${items.length} to send now`,
    ...targetNotes,
    ...(elsewhere > 0 ? [`${elsewhere} session(s) planned by the run are on another node now: left alone`] : []),
    ...(gone > 0 ? [`${gone} session(s) planned by the run are not online now: left out`] : []),
    ...(noTarget > 0 ? [`${noTarget} session(s) have no target of the run in the cluster now: not sent`] : []),
  ]
  if (header.command === 'drain' && header.source) {
    const known = new Set(state.planned.map((entry) => entry.jid))
    const fresh = listed.filter((session) => session.node === header.source && !isAdmin(config, session) && !known.has(session.jid))
    if (fresh.length > 0 && targets.length > 0) {
      const added = planDrain({sessions: fresh, targets, loads})
      for (const item of added) items.push(item)
      notes.push(`${added.length} session(s) appeared on ${header.source} since`)
    }
  }
  return freeze({
    command: header.command,
    source: header.source,
    targets: header.command === 'drain' ? targets.map((target) => target.name) : header.targets,
    items,
    alreadyThere: 0,
    // A client that changed resource may have reconnected while no process watched: only uptime can tell.
    knownJids: new Set(),
    notes,
    up: [...up],
    abilities,
    resumed: {runId: header.id, settings: header.settings, carriedOver: {settled: settledBefore, inFlight}, resendable},
  })
}

/** A run started after this one that planned some of its still pending sessions. */
function supersededBy(state: RunState, runsDir: string, pending: Set<string>): {id: string; command: string; startedAt: string; taken: number} | undefined {
  let files: string[]
  try {
    files = readdirSync(runsDir).filter((file) => file.endsWith('.ndjson') && file !== `${state.header.id}.ndjson`)
  } catch {
    return undefined
  }
  for (const file of files) {
    let other: RunState
    try {
      other = replay(readFileSync(join(runsDir, file), 'utf8'), join(runsDir, file))
    } catch {
      continue
    }
    if (other.header.startedAt <= state.header.startedAt) continue
    const taken = other.planned.filter((entry) => pending.has(entry.jid)).length
    if (taken > 0) return {id: other.header.id, command: other.header.command, startedAt: new Date(other.header.startedAt).toISOString(), taken}
  }
  return undefined
}

/** The run, if it can be resumed: the one the operator meant, not finished, not superseded by a later run. */
function resumableRun(state: RunState, expect: {command: TransferCommandName; source: string} | undefined, runsDir: string): RunState {
  const {header} = state
  if (expect && (header.command !== expect.command || header.source !== expect.source)) {
    throw new UsageError(`run ${header.id} is a ${header.command}${header.source ? ` of ${header.source}` : ''}, not a ${expect.command} of ${expect.source}`)
  }
  if (state.finished) throw new UsageError(`run ${header.id} finished already (exit ${state.finished.exitCode}): see xtransfer report ${header.id}`)
  const pending = new Set(state.planned.filter((entry) => !state.settled.has(entry.jid)).map((entry) => entry.jid))
  const later = supersededBy(state, runsDir, pending)
  if (later) {
    throw new UsageError(
      `run ${header.id} was superseded by run ${later.id} (a ${later.command} started ${later.startedAt}) which took ${later.taken} of its sessions: start a new run instead`,
    )
  }
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
  return {
    jid: entry.jid,
    bare: entry.bare,
    resource: entry.resource,
    from: entry.from,
    target: {name: entry.target, address: address.value, isNode: entry.isNode},
  }
}

function isAdmin(config: Config, session: SessionInfo): boolean {
  return session.bare === config.admin.jid
}

/** Configured nodes whose server the cluster lists as a member now. */
function upNodes(config: Config, servers: ServerView[]): Set<string> {
  const listed = new Set(servers.map((view) => view.server))
  return new Set(
    Object.entries(config.nodes)
      .filter(([, node]) => listed.has(node.server))
      .map(([name]) => name),
  )
}

/** The asked-for targets that are up, and a note for each that is not. */
function upTargets(names: string[], up: Set<string>, config: Config): {targets: TransferTarget[]; notes: string[]} {
  const down = names.filter((name) => !up.has(name))
  return {
    targets: names.filter((name) => up.has(name)).map((name) => nodeTarget(config, name)),
    notes: down.map((name) => `${name} is not in the cluster now (${config.nodes[name].server} not listed): not a target`),
  }
}

/**
 * What a drain needs from the directory: the source's sessions, every node's load, and every
 * session of the users it moves (the tracker's known JIDs). With the directory's optional
 * per-node calls, that is the source's sessions and the moving users', not a listing of the
 * whole cluster: 50,000 of 10^6 sessions planned in 0.65 s of CPU instead of 3.2 s, peak RSS
 * 181 MB instead of 414 MB (bench:scale, the simulated directory's own work included).
 */
async function drainListing(
  directory: SessionDirectory,
  source: string,
): Promise<{onSource: SessionInfo[]; loads: Map<string, number>; sessionsOfUsers: (items: readonly PlannedTransfer[]) => Promise<SessionInfo[]>}> {
  if (directory.sessionsOn && directory.sessionCounts) {
    const [onSource, loads] = await Promise.all([directory.sessionsOn(source), directory.sessionCounts()])
    return {onSource, loads, sessionsOfUsers: (items) => sessionsOfUsers(directory, items)}
  }
  const sessions = await directory.listSessions()
  return {onSource: sessions.filter((session) => session.node === source), loads: loadsOf(sessions), sessionsOfUsers: async () => sessions}
}

/** The full JIDs of the planned users among these sessions. */
function knownJidsOf(items: readonly PlannedTransfer[], sessions: readonly SessionInfo[]): Set<string> {
  const users = new Set(items.map((item) => item.bare))
  const known = new Set<string>()
  for (const session of sessions) if (users.has(session.bare)) known.add(session.jid)
  return known
}

function loadsOf(sessions: SessionInfo[]): Map<string, number> {
  const loads = new Map<string, number>()
  for (const session of sessions) loads.set(session.node, (loads.get(session.node) ?? 0) + 1)
  return loads
}

function nodeTargets(config: Config) {
  return new Map(Object.keys(config.nodes).map((name) => [name, nodeTarget(config, name)]))
}

/**
 * Sessions per configured node, the admin's own left out. From the directory's counts when it
 * has them: a rebalance of 10^6 sessions listed them all again after the run just to count (bench:scale).
 */
export async function countsNow(config: Config, directory: SessionDirectory): Promise<Map<string, number>> {
  if (!directory.sessionCounts)
    return countsByNode(
      config,
      (await directory.listSessions()).filter((session) => !isAdmin(config, session)),
    )
  const [counts, admin] = await Promise.all([directory.sessionCounts(), directory.sessionsOf([config.admin.jid])])
  const perNode = new Map(Object.keys(config.nodes).map((name) => [name, counts.get(name) ?? 0]))
  for (const session of admin.get(config.admin.jid) ?? []) if (perNode.has(session.node)) perNode.set(session.node, perNode.get(session.node)! - 1)
  return perNode
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
