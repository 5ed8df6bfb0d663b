import type {ServerAddress} from '../protocol/index.js'
import type {SessionInfo} from '../directories/session-directory.js'

/** Where a session is sent: a configured node, or a bare address given with --to. */
export interface TransferTarget {
  /** Node name, or the address as the operator wrote it. */
  name: string
  address: ServerAddress
  /** True when the target is a configured node, so a reconnection can be checked against it. */
  isNode: boolean
}

export interface PlannedTransfer {
  jid: string
  bare: string
  resource: string
  /** The node the session is on now. */
  from: string
  target: TransferTarget
}

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
  const plan = sessions.filter((session) => !alreadyThere.includes(session)).sort(byJid).map((session) => planned(session, target))
  return {plan, alreadyThere}
}

function planned(session: SessionInfo, target: TransferTarget): PlannedTransfer {
  return {jid: session.jid, bare: session.bare, resource: session.resource, from: session.node, target}
}

function byJid(a: SessionInfo, b: SessionInfo): number {
  return a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0
}
