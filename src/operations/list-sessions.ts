import type {Config} from '../config/config-schema.js'
import type {SessionDirectory} from '../model/directory.js'
import type {SessionInfo} from '../model/session.js'
import {configuredNode} from '../cluster/targets.js'
import {parseUserJid} from './jids.js'

export interface SessionFilter {
  node?: string
  user?: string
}

/**
 * The sessions the operator asked about, sorted by JID. The admin's own sessions (xtransfer's
 * links, and one a killed run left waiting for resumption) are not listed unless asked for by
 * `--user`: no command ever moves them.
 */
export async function listSessions(config: Config, directory: SessionDirectory, filter: SessionFilter): Promise<SessionInfo[]> {
  const node = filter.node === undefined ? undefined : configuredNode(config, filter.node)
  let sessions: SessionInfo[]
  if (filter.user) {
    const {bare, resource} = parseUserJid(filter.user)
    sessions = ((await directory.sessionsOf([bare])).get(bare) ?? []).filter((session) => !resource || session.resource === resource)
  } else {
    // One node's sessions without listing the others, when the directory can (the companion).
    const admin = config.admin.jid
    sessions = (node && directory.sessionsOn ? await directory.sessionsOn(node) : await directory.listSessions()).filter((session) => session.bare !== admin)
  }
  return sessions.filter((session) => !node || session.node === node).sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0))
}
