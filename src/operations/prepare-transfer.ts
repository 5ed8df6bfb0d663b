import {nodeTarget, resolveTarget} from '../cluster/targets.js'
import type {Config} from '../config/config-schema.js'
import type {SessionDirectory, SessionInfo} from '../directories/session-directory.js'
import {evenShares, planDrain, planMove, PlannedTransfer, planRebalance, planRehome, sharesForReceiver, TransferTarget} from '../engine/plan.js'
import type {Balance, PreflightSummary, TransferCommandName} from '../engine/report.js'
import {UsageError} from '../errors.js'
import {parseUserJid} from './jids.js'

/** A plan with what the report needs to say about how it was made. */
export interface PreparedTransfer {
  command: TransferCommandName
  source: string | null
  targets: string[]
  plan: PlannedTransfer[]
  alreadyThere: number
  /** Every full JID the listing had: a session seen later under another JID is new. */
  knownJids: Set<string>
  /** Said to the operator, e.g. why nothing was selected. */
  notes: string[]
  /** rebalance and rehome: sessions per node before and as planned. */
  balance?: Balance
  /** drain --preflight: what the clients advertise. */
  preflight?: PreflightSummary
  /** On resume: how to send again to a session an earlier process may have reached, if it is still on its source. */
  resendable?: PlannedTransfer[]
}

export function validateDrainArgs(config: Config, source: string, to: string[] = []): void {
  if (!config.nodes[source]) throw new UsageError(`unknown node "${source}" (configured: ${Object.keys(config.nodes).join(', ')})`)
  for (const name of to) {
    if (name === source) throw new UsageError(`--to ${name} is the node being drained`)
    nodeTarget(config, name)
  }
  if (to.length === 0 && Object.keys(config.nodes).length < 2) throw new UsageError(`no other node to drain ${source} to`)
}

/** Every session on the source (the admin's own excepted), spread over the other nodes or the --to list. */
export async function prepareDrain(config: Config, directory: SessionDirectory, source: string, to: string[] = []): Promise<PreparedTransfer> {
  validateDrainArgs(config, source, to)
  const targetNames = to.length > 0 ? [...new Set(to)] : Object.keys(config.nodes).filter((name) => name !== source)
  const targets = targetNames.map((name) => nodeTarget(config, name))
  const sessions = await directory.listSessions()
  const loads = new Map<string, number>()
  for (const session of sessions) loads.set(session.node, (loads.get(session.node) ?? 0) + 1)
  const onSource = sessions.filter((session) => session.node === source && !isAdmin(config, session))
  const plan = planDrain({sessions: onSource, targets, loads})
  return {
    command: 'drain',
    source,
    targets: targetNames,
    plan,
    alreadyThere: 0,
    knownJids: new Set(sessions.map((session) => session.jid)),
    notes: plan.length === 0 ? [`no sessions on ${source}: nothing to do`] : [],
  }
}

/** Named users (all their sessions) or full JIDs (one session) to one node or address. */
export async function prepareMove(config: Config, directory: SessionDirectory, jids: string[], to: string): Promise<PreparedTransfer> {
  if (jids.length === 0) throw new UsageError('name at least one JID to move')
  const wanted = jids.map(parseUserJid)
  const target = resolveTarget(config, to)
  const byBare = await directory.sessionsOf(wanted.map((jid) => jid.bare))
  const selected = new Map<string, SessionInfo>()
  const offline: string[] = []
  for (const jid of wanted) {
    const sessions = (byBare.get(jid.bare) ?? []).filter((session) => !jid.resource || session.resource === jid.resource)
    if (sessions.length === 0) offline.push(jid.resource ? `${jid.bare}/${jid.resource}` : jid.bare)
    for (const session of sessions) if (!isAdmin(config, session)) selected.set(session.jid, session)
  }
  const {plan, alreadyThere} = planMove([...selected.values()], target)
  const notes = [
    ...(offline.length > 0 ? [`not online: ${offline.join(', ')}`] : []),
    ...(alreadyThere.length > 0 ? [`already on ${target.name}: ${alreadyThere.map((session) => session.jid).join(', ')}`] : []),
    ...(plan.length === 0 ? ['nothing to move'] : []),
  ]
  return {
    command: 'move',
    source: null,
    targets: [target.name],
    plan,
    alreadyThere: alreadyThere.length,
    knownJids: new Set([...byBare.values()].flat().map((session) => session.jid)),
    notes,
  }
}

function isAdmin(config: Config, session: SessionInfo): boolean {
  return session.bare === config.admin.jid
}

/** Sessions per node, every configured node listed (0 when empty). */
export function countsByNode(config: Config, sessions: SessionInfo[]): Map<string, number> {
  const counts = new Map(Object.keys(config.nodes).map((name) => [name, 0]))
  for (const session of sessions) if (counts.has(session.node)) counts.set(session.node, counts.get(session.node)! + 1)
  return counts
}

export function balanceOf(before: Map<string, number>, plan: PlannedTransfer[]): Balance {
  const planned = new Map(before)
  for (const item of plan) {
    planned.set(item.from, (planned.get(item.from) ?? 0) - 1)
    planned.set(item.target.name, (planned.get(item.target.name) ?? 0) + 1)
  }
  return {before: Object.fromEntries(before), planned: Object.fromEntries(planned)}
}

function nodeTargets(config: Config): Map<string, TransferTarget> {
  return new Map(Object.keys(config.nodes).map((name) => [name, nodeTarget(config, name)]))
}

/** Scenario 2: every session that is not on its user's home node goes home. */
export async function prepareRehome(config: Config, directory: SessionDirectory, homeOf: (bare: string) => string | undefined): Promise<PreparedTransfer> {
  const sessions = (await directory.listSessions()).filter((session) => !isAdmin(config, session) && config.nodes[session.node])
  const plan = planRehome(sessions, homeOf, nodeTargets(config))
  const homeless = sessions.filter((session) => homeOf(session.bare) === undefined).length
  const before = countsByNode(config, sessions)
  return {
    command: 'rehome',
    source: null,
    targets: [...new Set(plan.map((item) => item.target.name))].sort(),
    plan,
    alreadyThere: sessions.length - plan.length - homeless,
    knownJids: new Set(sessions.map((session) => session.jid)),
    notes: [
      ...(homeless > 0 ? [`${homeless} session(s) of users no placement rule matches: left where they are`] : []),
      ...(plan.length === 0 ? ['every session is on its home node: nothing to do'] : []),
    ],
    balance: balanceOf(before, plan),
  }
}

export interface RebalanceRequest {
  /** The node that takes load; absent: even out all nodes. */
  to?: string
  /** How many sessions it should take. */
  count?: number
  /** The share of all sessions it should end with (0–1). */
  share?: number
}

/** Scenario 3: a node takes its share from the others (most loaded first), or all nodes are evened out. */
export async function prepareRebalance(config: Config, directory: SessionDirectory, request: RebalanceRequest): Promise<PreparedTransfer> {
  if (request.to) nodeTarget(config, request.to)
  if (!request.to && (request.count !== undefined || request.share !== undefined)) throw new UsageError('--count and --share need --to NODE')
  const sessions = (await directory.listSessions()).filter((session) => !isAdmin(config, session) && config.nodes[session.node])
  const before = countsByNode(config, sessions)
  const nodes = Object.keys(config.nodes)
  let wanted: Map<string, number>
  if (request.to) {
    const has = before.get(request.to) ?? 0
    const goal = request.count !== undefined ? has + request.count
      : Math.round((request.share ?? 1 / nodes.length) * sessions.length)
    wanted = sharesForReceiver(request.to, Math.max(0, goal - has), before)
  } else {
    wanted = evenShares(sessions.length, nodes, before)
  }
  const plan = planRebalance(sessions, wanted, nodeTargets(config))
  return {
    command: 'rebalance',
    source: null,
    targets: request.to ? [request.to] : [...new Set(plan.map((item) => item.target.name))].sort(),
    plan,
    alreadyThere: 0,
    knownJids: new Set(sessions.map((session) => session.jid)),
    notes: plan.length === 0 ? ['already balanced: nothing to do'] : [],
    balance: balanceOf(before, plan),
  }
}
