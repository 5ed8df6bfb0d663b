import {nodeTarget} from '../cluster/targets.js'
import type {Config} from '../config/config-schema.js'
import type {SessionDirectory} from '../directories/session-directory.js'
import {planDrain, PlannedTransfer} from '../engine/plan.js'
import {UsageError} from '../errors.js'
import type {PlannedEntry, RunState} from '../journal/journal-reader.js'
import {parseServer} from '../protocol/index.js'
import type {CarriedOver, TransferSettings} from './execute-transfer.js'
import type {PreparedTransfer} from './prepare-transfer.js'

export interface PreparedResume {
  runId: string
  prepared: PreparedTransfer
  carriedOver: CarriedOver
  settings: TransferSettings
}

/**
 * Continue an interrupted run from its journal: sessions never sent a packet
 * are sent one; sessions that were (or may have been) are only watched, and
 * sent again only if still on their source after the wait; a drain also takes
 * sessions that appeared on its source since.
 */
export async function prepareResume(config: Config, directory: SessionDirectory, state: RunState): Promise<PreparedResume> {
  const {header} = state
  if (state.finished) throw new UsageError(`run ${header.id} finished already (exit ${state.finished.exitCode}): see xtransfer report ${header.id}`)
  const records = [...state.records.values()]
  const settled = records.filter((record) => state.settled.has(record.jid))
  const inFlight = records.filter((record) => !state.settled.has(record.jid))
  const byJid = new Map(state.planned.map((entry) => [entry.jid, entry]))

  const unsent = state.planned.filter((entry) => !state.records.has(entry.jid)).map(toPlanned)
  const notes: string[] = [`resumed run ${header.id}: ${settled.length} settled before, ${inFlight.length} in flight, ${unsent.length} not sent yet`]
  let added: PlannedTransfer[] = []
  if (header.command === 'drain' && header.source) {
    const sessions = await directory.listSessions()
    const fresh = sessions.filter((session) => session.node === header.source && session.bare !== config.admin.jid && !byJid.has(session.jid))
    if (fresh.length > 0) {
      const loads = new Map<string, number>()
      for (const session of sessions) loads.set(session.node, (loads.get(session.node) ?? 0) + 1)
      added = planDrain({sessions: fresh, targets: header.targets.map((name) => nodeTarget(config, name)), loads})
      notes.push(`${added.length} session(s) appeared on ${header.source} since`)
    }
  }
  return {
    runId: header.id,
    settings: header.settings,
    carriedOver: {settled, inFlight},
    prepared: {
      command: header.command,
      source: header.source,
      targets: header.targets,
      plan: [...unsent, ...added],
      alreadyThere: 0,
      // A client that changed resource may have reconnected while no process watched: only uptime can tell.
      knownJids: new Set(),
      notes,
      resendable: inFlight.map((record) => toPlanned(byJid.get(record.jid)!)),
    },
  }
}

function toPlanned(entry: PlannedEntry): PlannedTransfer {
  const address = parseServer(entry.address)
  if (!address.ok) throw new UsageError(`journal: bad address for ${entry.jid}: ${address.reason}`)
  return {jid: entry.jid, bare: entry.bare, resource: entry.resource, from: entry.from, target: {name: entry.target, address: address.value, isNode: entry.isNode}}
}
