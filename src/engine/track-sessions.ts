import type {Clock} from '../model/clock.js'
import type {SessionDirectory} from '../model/directory.js'
import type {SessionInfo} from '../model/session.js'

/** The longest pause between polls that a slow directory earns. */
const MAX_POLL_GAP_MS = 5_000

export interface TrackOptions {
  pollMs: number
  /** Full JIDs that existed when the run was planned: they are not anyone's new session. */
  knownJids: Set<string>
  /** The directory counts as down when no poll answered for this long (and two failed in a row). */
  downAfterMs: number
}

/** A session being moved, as the tracker needs to know it. */
export interface Tracked {
  jid: string
  bare: string
  resource: string
  /** The node it is being moved off. */
  from: string
}

/** Where a tracked session was seen, when a wait for it ended. */
export type Sighting =
  /** On another node: it moved. `seenAt`: when the poll that saw it began; `at`: when it answered. */
  | {kind: 'landed'; session: SessionInfo; seenAt: number; at: number}
  /** Still on its source; `pending`: its socket is gone and the server waits for a resumption. */
  | {kind: 'on-source'; pending: boolean}
  /** A session of the user began on the source after the action: it came back to the node it left. */
  | {kind: 'returned'; session: SessionInfo}
  /** Listed nowhere. */
  | {kind: 'offline'}
  /** Tracking stopped before the wait ended (the run was stopped). */
  | {kind: 'stopped'}

interface Wait {
  tracked: Tracked
  /** When the last action on it went out: a session that began later is its new one. */
  since: number
  deadline: number
  resolve: (sighting: Sighting) => void
}

/**
 * Polls the directory for the users with a wait in progress (only those: the cost follows
 * what is pending, not the cluster's size) and ends each wait when its session shows up on
 * a node other than its source, or at its deadline with where it was last seen.
 */
export function trackSessions(directory: Pick<SessionDirectory, 'sessionsOf'>, clock: Clock, options: TrackOptions) {
  const waits = new Map<string, Wait>()
  /** The waits of each user: a poll asks, for every wait, which of its user's resources are pending (2,000 waits: 4·10^6 steps a poll when scanned). */
  const waitsOfUser = new Map<string, Set<Wait>>()
  const claimed = new Set<string>()
  let adding = true
  let stopped = false
  /** After hurry(): no wait, even one that begins later (an answer that came after Ctrl-C), ends later than this. */
  let latest = Infinity
  /** Wakes the loop when it idles with nothing to wait for (a wait was added, or tracking closed). */
  let work: (() => void) | undefined
  const nudge = () => {
    const wake = work
    work = undefined
    wake?.()
  }

  function add(wait: Wait) {
    waits.set(wait.tracked.jid, wait)
    const ofUser = waitsOfUser.get(wait.tracked.bare)
    if (ofUser) ofUser.add(wait)
    else waitsOfUser.set(wait.tracked.bare, new Set([wait]))
  }

  function end(wait: Wait, sighting: Sighting) {
    if (waits.get(wait.tracked.jid) === wait) {
      waits.delete(wait.tracked.jid)
      const ofUser = waitsOfUser.get(wait.tracked.bare)
      ofUser?.delete(wait)
      if (ofUser?.size === 0) waitsOfUser.delete(wait.tracked.bare)
    }
    wait.resolve(sighting)
  }

  function findLanding({tracked, since}: Wait, sessions: SessionInfo[], now: number): SessionInfo | undefined {
    const elsewhere = sessions.filter((session) => session.node !== tracked.from && !claimed.has(session.jid))
    const sameResource = elsewhere.find((session) => session.resource === tracked.resource)
    if (sameResource) return sameResource
    // A client that does not keep its resource: any session of the user that began after the action.
    const otherPendingResources = new Set([...(waitsOfUser.get(tracked.bare) ?? [])].map((w) => w.tracked.resource))
    return elsewhere.find(
      (session) => !options.knownJids.has(session.jid) && !otherPendingResources.has(session.resource) && session.uptimeSeconds * 1000 <= now - since + 1000,
    )
  }

  function lastSeen({tracked, since}: Wait, sessions: SessionInfo[], now: number): Sighting {
    const own = sessions.find((session) => session.jid === tracked.jid && session.node === tracked.from)
    const fresh = sessions.find(
      (session) => session.node === tracked.from && session.uptimeSeconds * 1000 <= now - since + 1000 && !options.knownJids.has(session.jid),
    )
    if (own && fresh === own) return {kind: 'returned', session: own}
    if (own) return {kind: 'on-source', pending: own.streamManagement === 'pending'}
    if (fresh) return {kind: 'returned', session: fresh}
    return {kind: 'offline'}
  }

  function poll(byBare: Map<string, SessionInfo[]>, seenAt: number, now: number) {
    for (const wait of [...waits.values()]) {
      const sessions = byBare.get(wait.tracked.bare) ?? []
      const landed = findLanding(wait, sessions, now)
      if (landed) {
        claimed.add(landed.jid)
        end(wait, {kind: 'landed', session: landed, seenAt, at: now})
      } else if (now >= wait.deadline) {
        end(wait, lastSeen(wait, sessions, now))
      }
    }
  }

  async function loop(): Promise<void> {
    let lastPollMs = 0
    let lastAnswer = clock.now()
    let failedInARow = 0
    while (!stopped && (adding || waits.size > 0)) {
      // Nothing pending: no polling, no ticking; the next wait (or the end) wakes the loop.
      if (waits.size === 0) {
        await new Promise<void>((resolve) => (work = resolve))
        continue
      }
      // A slow directory (listings under a login storm take seconds) is asked less often, not harder.
      await clock.sleep(Math.max(options.pollMs, Math.min(lastPollMs, MAX_POLL_GAP_MS)))
      if (waits.size === 0 || stopped) continue
      const bares = [...new Set([...waits.values()].map((wait) => wait.tracked.bare))]
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
        if (failedInARow >= 2 && clock.now() - lastAnswer > options.downAfterMs) throw error
        continue
      }
      failedInARow = 0
      lastAnswer = clock.now()
      lastPollMs = lastAnswer - started
      if (!stopped) poll(sessions, started, clock.now())
    }
  }

  const done = loop().finally(() => {
    for (const wait of [...waits.values()]) end(wait, {kind: 'stopped'})
  })

  return {
    /** Wait until the session lands elsewhere, or until `deadline` (then: where it was last seen). */
    until(tracked: Tracked, since: number, deadline: number): Promise<Sighting> {
      if (stopped) return Promise.resolve({kind: 'stopped'})
      return new Promise((resolve) => {
        const earlier = waits.get(tracked.jid)
        if (earlier) end(earlier, {kind: 'stopped'})
        add({tracked, since, deadline: Math.min(deadline, latest), resolve})
        nudge()
      })
    },
    /** No more waits will be added: the loop ends once the current ones end. */
    close() {
      adding = false
      nudge()
    },
    /** Give every wait at most `ms` more (after Ctrl-C: a short grace, then the report). */
    hurry(ms: number) {
      latest = Math.min(latest, clock.now() + ms)
      for (const wait of waits.values()) wait.deadline = Math.min(wait.deadline, latest)
    },
    /** Stop at once: every wait ends `stopped`. */
    abort() {
      stopped = true
      adding = false
      nudge()
      for (const wait of [...waits.values()]) end(wait, {kind: 'stopped'})
    },
    get waiting(): number {
      return waits.size
    },
    /** Rejects when the directory stayed down. */
    done,
  }
}

export type SessionTracker = ReturnType<typeof trackSessions>
