import type {SessionInfo} from '../model/session.js'
import type {PlannedTransfer, TransferTarget} from '../model/transfer.js'

export interface DrainPlanInput {
  /** The sessions on the source node. */
  sessions: SessionInfo[]
  targets: TransferTarget[]
  /** Sessions each target holds already, by target name. */
  loads: Map<string, number>
}

/**
 * Spread the source's sessions over the targets, least-loaded first, so that the
 * targets end as even as the numbers allow. Sessions are taken in JID order so a
 * plan is reproducible.
 */
export function planDrain({sessions, targets, loads}: DrainPlanInput): PlannedTransfer[] {
  if (targets.length === 0) return []
  const load = new Map(targets.map((target) => [target.name, loads.get(target.name) ?? 0]))
  return [...sessions].sort(byJid).map((session) => {
    let best = targets[0]
    for (const target of targets) if (load.get(target.name)! < load.get(best.name)!) best = target
    load.set(best.name, load.get(best.name)! + 1)
    return planned(session, best)
  })
}

/** Every given session to one target; sessions already on that node are left out. */
export function planMove(sessions: SessionInfo[], target: TransferTarget): {plan: PlannedTransfer[]; alreadyThere: SessionInfo[]} {
  const alreadyThere = target.isNode ? sessions.filter((session) => session.node === target.name) : []
  const plan = sessions
    .filter((session) => !alreadyThere.includes(session))
    .sort(byJid)
    .map((session) => planned(session, target))
  return {plan, alreadyThere}
}

function planned(session: SessionInfo, target: TransferTarget): PlannedTransfer {
  const client = session.resumable !== undefined || session.capsNode ? {client: {resumable: session.resumable, capsNode: session.capsNode}} : {}
  return {jid: session.jid, bare: session.bare, resource: session.resource, from: session.node, target, ...client}
}

function byJid(a: SessionInfo, b: SessionInfo): number {
  return a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0
}

/** Scenario 2: every session not on its home node goes home; users with no home stay. */
export function planRehome(sessions: SessionInfo[], homeOf: (bare: string) => string | undefined, targets: Map<string, TransferTarget>): PlannedTransfer[] {
  return [...sessions].sort(byJid).flatMap((session) => {
    const home = homeOf(session.bare)
    const target = home === undefined ? undefined : targets.get(home)
    return target && home !== session.node ? [planned(session, target)] : []
  })
}

/**
 * Scenario 3: move the fewest sessions so that each node ends at its wanted
 * count, taking from the most loaded node first. `wanted` covers every node;
 * its total must equal the number of sessions.
 */
export function planRebalance(sessions: SessionInfo[], wanted: Map<string, number>, targets: Map<string, TransferTarget>): PlannedTransfer[] {
  // Each node's sessions in JID order, the nodes in the order of their first session in JID order.
  const byNode = new Map<string, SessionInfo[]>()
  for (const session of [...sessions].sort(byJid)) {
    const list = byNode.get(session.node)
    if (list) list.push(session)
    else byNode.set(session.node, [session])
  }
  return planRebalanceOf(
    [...byNode].map(([node, list]) => ({node, count: list.length, sessions: list})),
    wanted,
    targets,
  )
}

/** A node as a rebalance plans it: how many sessions it holds, and at least the last of them in JID order that it may give. */
export interface NodeHolding {
  node: string
  count: number
  /** In JID order; at least its last `count - wanted` (what it gives), or all of them. */
  sessions: SessionInfo[]
}

/**
 * planRebalance from each node's holding, `holdings` in the order of each node's first JID
 * (ties between givers go to the first): a node gives its last sessions in JID order. So a
 * planner that lists one node at a time keeps only what each node gives, and plans the same.
 */
export function planRebalanceOf(holdings: NodeHolding[], wanted: Map<string, number>, targets: Map<string, TransferTarget>): PlannedTransfer[] {
  // Counted, not copied: a list copied per session took O(n^2), minutes for 10^6 sessions (bench:scale).
  const givable = new Map(holdings.map((holding) => [holding.node, holding.sessions]))
  const held = new Map(holdings.map((holding) => [holding.node, holding.count]))
  const count = (node: string) => held.get(node) ?? 0
  const excess = (node: string) => count(node) - (wanted.get(node) ?? 0)
  const plan: PlannedTransfer[] = []
  const receivers = [...wanted].filter(([node, n]) => count(node) < n).map(([node]) => node)
  for (const receiver of receivers) {
    while (count(receiver) < wanted.get(receiver)!) {
      // The giver: the node furthest over what it should keep (a receiver never is).
      let giver: string | undefined
      for (const node of held.keys()) if (excess(node) > 0 && (giver === undefined || excess(node) > excess(giver))) giver = node
      if (giver === undefined) break
      const session = givable.get(giver)!.pop()!
      plan.push(planned(session, targets.get(receiver)!))
      held.set(giver, count(giver) - 1)
      held.set(receiver, count(receiver) + 1)
    }
  }
  return plan
}

/** What a node gives when it is to keep `keep`: its holding, with only its sessions beyond `keep` in JID order. */
export function holdingOf(node: string, sessions: SessionInfo[], keep: number): NodeHolding & {firstJid: string | undefined} {
  const sorted = [...sessions].sort(byJid)
  return {node, count: sessions.length, sessions: sorted.slice(Math.min(sorted.length, Math.max(0, keep))), firstJid: sorted[0]?.jid}
}

/**
 * Even counts over `nodes` for `total` sessions: the remainder goes to the
 * nodes that hold the most now, so the fewest sessions move.
 */
export function evenShares(total: number, nodes: string[], current: Map<string, number>): Map<string, number> {
  const base = Math.floor(total / nodes.length)
  let remainder = total - base * nodes.length
  const order = [...nodes].sort((a, b) => (current.get(b) ?? 0) - (current.get(a) ?? 0) || (a < b ? -1 : 1))
  return new Map(order.map((node) => [node, base + (remainder-- > 0 ? 1 : 0)]))
}

/**
 * What each node should hold when `receiver` takes `take` sessions from the
 * others: the others keep as even a share of the rest as their loads allow,
 * the most loaded giving first.
 */
export function sharesForReceiver(receiver: string, take: number, current: Map<string, number>): Map<string, number> {
  const wanted = new Map(current)
  wanted.set(receiver, current.get(receiver) ?? 0)
  for (let i = 0; i < take; i++) {
    let giver: string | undefined
    for (const [node, n] of wanted) if (node !== receiver && n > 0 && (giver === undefined || n > wanted.get(giver)!)) giver = node
    if (giver === undefined) break
    wanted.set(giver, wanted.get(giver)! - 1)
    wanted.set(receiver, wanted.get(receiver)! + 1)
  }
  return wanted
}

/** Sessions per target, as planned: what the confirmation, a dry run and the plan all show. */
export function countByTarget(items: readonly PlannedTransfer[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) counts[item.target.name] = (counts[item.target.name] ?? 0) + 1
  return counts
}
