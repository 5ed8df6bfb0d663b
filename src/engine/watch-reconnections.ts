import type {Clock} from '../model/clock.js'
import type {SessionDirectory} from '../model/directory.js'
import type {SessionInfo} from '../model/session.js'
import type {TransferRecord} from '../model/transfer.js'

export interface WatchOptions {
  /** How long after its packet a session may take to reappear elsewhere. */
  waitMs: number
  pollMs: number
  /** Full JIDs that existed when the run was planned: they are not anyone's new session. */
  knownJids: Set<string>
}

/** The longest pause between polls that a slow directory earns. */
const MAX_POLL_GAP_MS = 5_000

interface Watched {
  record: TransferRecord
  deadline: number
}

/**
 * Polls the directory for the users still pending (only those: the cost follows
 * what is left, not the cluster's size) until each transferred session shows up
 * on a node other than its source, or its wait runs out.
 */
export function watchReconnections(
  directory: Pick<SessionDirectory, 'sessionsOf'>,
  clock: Clock,
  options: WatchOptions,
  onSettled: (record: TransferRecord) => void,
) {
  const pending = new Map<string, Watched>()
  const claimed = new Set<string>()
  let adding = true
  let stopped = false
  /** Set by hurry(): a session whose ack comes in after a Ctrl-C is watched only until then too. */
  let latestDeadline = Infinity

  function settle(watched: Watched) {
    pending.delete(watched.record.jid)
    onSettled(watched.record)
  }

  function poll(sessionsByBare: Map<string, SessionInfo[]>, now: number) {
    for (const watched of [...pending.values()]) {
      const sessions = sessionsByBare.get(watched.record.bare) ?? []
      const found = findReconnection(watched, sessions, now)
      if (found) {
        claimed.add(found.jid)
        Object.assign(watched.record, {
          reconnectedTo: found.node,
          reconnectedJid: found.jid,
          latencyMs: now - watched.record.sentAt,
          outcome: 'moved',
        })
        settle(watched)
      } else if (now >= watched.deadline) {
        watched.record.outcome = sessions.some((session) => session.node === watched.record.from) ? 'not-moved' : 'went-offline'
        settle(watched)
      }
    }
  }

  function findReconnection({record}: Watched, sessions: SessionInfo[], now: number): SessionInfo | undefined {
    const elsewhere = sessions.filter((session) => session.node !== record.from && !claimed.has(session.jid))
    const sameResource = elsewhere.find((session) => session.resource === record.resource)
    if (sameResource) return sameResource
    // A client that does not keep its resource: any session of the user that began after the packet.
    const otherPendingResources = new Set([...pending.values()].filter((w) => w.record.bare === record.bare).map((w) => w.record.resource))
    return elsewhere.find((session) =>
      !options.knownJids.has(session.jid) &&
      !otherPendingResources.has(session.resource) &&
      session.uptimeSeconds * 1000 <= now - record.sentAt + 1000)
  }

  async function loop(): Promise<void> {
    let lastPollMs = 0
    let lastAnswer = clock.now()
    let failedInARow = 0
    while (!stopped && (adding || pending.size > 0)) {
      // A slow directory (listings under a login storm take seconds) is asked less often, not harder.
      await clock.sleep(Math.max(options.pollMs, Math.min(lastPollMs, MAX_POLL_GAP_MS)))
      if (pending.size === 0) continue
      const bares = [...new Set([...pending.values()].map((watched) => watched.record.bare))]
      const started = clock.now()
      let sessions: Map<string, SessionInfo[]>
      try {
        sessions = await directory.sessionsOf(bares)
      } catch (error) {
        // A listing of a cluster busy with logins can outlast its bound: no news, not an
        // outage, until no poll has answered for a whole wait. One listing may take the
        // whole wait by itself (5,000 sessions: a 60 s bound), so the next one must fail too.
        lastPollMs = clock.now() - started
        failedInARow += 1
        if (failedInARow >= 2 && clock.now() - lastAnswer > options.waitMs) throw error
        continue
      }
      failedInARow = 0
      lastAnswer = clock.now()
      lastPollMs = lastAnswer - started
      poll(sessions, clock.now())
    }
  }

  const done = loop()

  return {
    watch(record: TransferRecord) {
      pending.set(record.jid, {record, deadline: Math.min(record.sentAt + options.waitMs, latestDeadline)})
    },
    /** No more sessions will be added: the loop ends once the pending ones settle. */
    close() {
      adding = false
    },
    /** Give what is pending at most `ms` more (after Ctrl-C: a short grace, then the report). */
    hurry(ms: number) {
      const latest = clock.now() + ms
      latestDeadline = Math.min(latestDeadline, latest)
      for (const watched of pending.values()) watched.deadline = Math.min(watched.deadline, latest)
    },
    /** Stop at once, leaving what is pending unsettled. */
    abort() {
      stopped = true
      adding = false
    },
    get pending(): TransferRecord[] {
      return [...pending.values()].map((watched) => watched.record)
    },
    done,
  }
}
