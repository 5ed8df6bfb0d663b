// The simulated world as a SessionDirectory, as the server companion would answer: a listing
// of the cluster, batch look-ups per user, the cluster's members and, when `nodeCalls` is on,
// the optional per-node listing and counts (src/model/directory.ts). Every call takes some
// simulated time and is counted, with the rows it returned: what a run asks of the servers.
import type {SessionDirectory} from '../../src/model/directory.js'
import type {ServerView, SessionInfo} from '../../src/model/session.js'
import type {SimulatedWorld} from './world.js'

/** Calls, rows, and the simulator's own CPU building the answers (ms, not the engine's), per method. */
export type DirectoryUsage = Record<string, {calls: number; rows: number; simMs: number}>

/**
 * Server time a call takes (simulated): connected_users_info ~40 ms per 1,000 sessions idle
 * (docs/performance.md, "The directory's cost"); a batch locate one index read per user.
 */
const COST_MS = {call: 15, perListedRow: 0.04, perLocatedUser: 0.01}

export interface SimDirectory extends SessionDirectory {
  readonly usage: DirectoryUsage
}

export function simDirectory(world: SimulatedWorld, {nodeCalls}: {nodeCalls: boolean}): SimDirectory {
  const usage: DirectoryUsage = {}
  /** `started`: process.cpuUsage() when the call began building its answer (synchronously; CPU, as the phases are measured). */
  const count = (method: string, rows: number, started: NodeJS.CpuUsage) => {
    const entry = (usage[method] ??= {calls: 0, rows: 0, simMs: 0})
    const used = process.cpuUsage(started)
    entry.calls += 1
    entry.rows += rows
    entry.simMs += (used.user + used.system) / 1000
  }
  const took = (ms: number) => world.clock.sleep(ms)

  const directory: SimDirectory = {
    usage,
    async listSessions() {
      const started = process.cpuUsage()
      const sessions: SessionInfo[] = []
      for (let user = 0; user < world.sessions; user++) {
        const session = world.sessionOf(user)
        if (session) sessions.push(session)
      }
      count('listSessions', sessions.length, started)
      await took(COST_MS.call + COST_MS.perListedRow * sessions.length)
      return sessions
    },
    async sessionsOf(bareJids) {
      const started = process.cpuUsage()
      const found = new Map<string, SessionInfo[]>()
      let rows = 0
      for (const bare of bareJids) {
        const user = world.userOf(bare)
        const session = user === undefined ? undefined : world.sessionOf(user)
        found.set(bare, session && session.bare === bare ? [session] : [])
        if (session) rows++
      }
      count('sessionsOf', rows, started)
      await took(COST_MS.call + COST_MS.perLocatedUser * bareJids.length)
      return found
    },
    async listServers(): Promise<ServerView[]> {
      count('listServers', world.nodes.length, process.cpuUsage())
      await took(COST_MS.call)
      return world.nodes.map((node) => ({server: node.server, node: node.name}))
    },
  }
  if (!nodeCalls) return directory
  directory.sessionsOn = async (name) => {
    const started = process.cpuUsage()
    const index = world.nodeIndex(name)
    const sessions: SessionInfo[] = []
    if (index !== undefined) for (const user of world.usersOn(index)) sessions.push(world.sessionOf(user)!)
    count('sessionsOn', sessions.length, started)
    await took(COST_MS.call + COST_MS.perListedRow * sessions.length)
    return sessions
  }
  directory.sessionCounts = async () => {
    const started = process.cpuUsage()
    const counts = new Map(world.nodes.map((node) => [node.name, node.sessions]))
    count('sessionCounts', world.nodes.length, started)
    await took(COST_MS.call)
    return counts
  }
  return directory
}
