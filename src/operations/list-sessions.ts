import type {Config} from '../config/config-schema.js'
import type {SessionDirectory} from '../model/directory.js'
import type {SessionInfo} from '../model/session.js'
import {configuredNode} from '../cluster/targets.js'
import {parseUserJid} from './jids.js'

export interface SessionFilter {
  node?: string
  user?: string
}

export async function listSessions(config: Config, directory: SessionDirectory, filter: SessionFilter): Promise<SessionInfo[]> {
  const node = filter.node === undefined ? undefined : configuredNode(config, filter.node)
  let sessions: SessionInfo[]
  if (filter.user) {
    const {bare, resource} = parseUserJid(filter.user)
    sessions = ((await directory.sessionsOf([bare])).get(bare) ?? []).filter((session) => !resource || session.resource === resource)
  } else {
    sessions = await directory.listSessions()
  }
  return sessions.filter((session) => !node || session.node === node).sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0))
}
