import {type DataForm, fieldLines} from './forms.js'

/** One session as a node's XEP-0133 answer shows it; `resource` is absent when the server gives bare JIDs only. */
export interface ListedSession {
  bare: string
  resource?: string
  ip?: string
  /** Prosody's details: the presence <show/> ("available", "away"…), or "unavailable" before the first presence. */
  show?: string
  priority?: string
}

export interface OnlineUsers {
  sessions: ListedSession[]
  /** Whether the answer named resources (full JIDs, or Prosody's detail lines). */
  detailed: boolean
}

// Prosody 0.12 (mod_admin_adhoc) with details=true: a bare JID line, then one line per
// session: " - <resource>: <show>(<priority>), IP: [<ip>]". The resource is matched
// greedily: only the tail has a fixed shape.
const DETAIL_LINE = /^ - (.+): ([^\s()]*)\(([^()]*)\), IP: \[([^\]]*)\]$/

/**
 * The answer to `get-online-users-list`. Lines may be bare JIDs (XEP-0133), bare JIDs
 * followed by Prosody's detail lines, or full JIDs.
 */
export function parseOnlineUsers(form: DataForm | undefined): OnlineUsers {
  const sessions: ListedSession[] = []
  let detailed = false
  let current: {bare: string; listed: number} | undefined
  const flushBare = () => {
    if (current && current.listed === 0) sessions.push({bare: current.bare})
    current = undefined
  }
  for (const line of listLines(form)) {
    const detail = DETAIL_LINE.exec(line)
    if (detail && current) {
      const [, resource, show, priority, ip] = detail
      sessions.push({bare: current.bare, resource, show, priority, ip: ip === '<unknown>' ? undefined : ip})
      current.listed++
      detailed = true
      continue
    }
    const jid = line.trim()
    if (!jid || !jid.includes('@')) continue
    flushBare()
    const slash = jid.indexOf('/')
    if (slash !== -1) {
      sessions.push({bare: jid.slice(0, slash), resource: jid.slice(slash + 1)})
      detailed = true
    } else {
      current = {bare: jid, listed: 0}
    }
  }
  flushBare()
  return {sessions, detailed}
}

/** The list field of the answer: `onlineuserjids` (XEP-0133), else the first multi-valued field. */
function listLines(form: DataForm | undefined): string[] {
  if (!form) return []
  if (form.fields.has('onlineuserjids')) return fieldLines(form, 'onlineuserjids')
  const field = [...form.fields.values()].find((candidate) => candidate.var !== 'FORM_TYPE' && /-multi$/.test(candidate.type ?? ''))
  return field ? fieldLines(form, field.var) : []
}

/**
 * The answer to `user-stats` for one user: `onlineresources` and `ipaddresses` (text-multi,
 * in the same order on Prosody). A user who is not online has no resources.
 */
export function parseUserStats(bare: string, form: DataForm | undefined): ListedSession[] {
  const resources = fieldLines(form, 'onlineresources').filter((line) => line !== '')
  const ips = fieldLines(form, 'ipaddresses').filter((line) => line !== '')
  return resources.map((resource, index) => ({bare, resource, ip: ips.length === resources.length ? ips[index] : undefined}))
}
