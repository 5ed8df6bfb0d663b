// A simulated cluster of up to millions of sessions for `npm run bench:scale`: who is online on
// which node, the nodes' login queues, and what each kind of client does when it is moved. One
// session per user, held in typed arrays (10^6 users: ~20 MB), so that the process's memory is
// the engine's, not the simulation's. Everything runs on the run's clock (a VirtualClock).
import type {Clock} from '../../src/model/clock.js'
import type {SessionInfo} from '../../src/model/session.js'
import {type ClientKind, CLIENT_TRAITS, type ClientMix, pickKind} from './clients.js'

/** node[] of a user that is online nowhere. */
const OFFLINE = 255

export interface WorldOptions {
  clock: Clock
  random: () => number
  /** Nodes that hold sessions at the start: node-1 … node-K. */
  nodes: number
  /** Nodes that join empty after them (a rebalance's receiver). */
  emptyNodes?: number
  sessions: number
  /** Sessions on node-1 (the one a drain empties); the others share the rest evenly. Default: an even share. */
  onFirstNode?: number
  mix: ClientMix
  /** Logins a second one node serves (a move costs a node a login plus the replaced session). */
  nodeCapacity: number
  /** Logins a node serves at once; each takes workers / nodeCapacity s. */
  workers?: number
  /** A login that waited longer than this for a worker fails: the client gave up (xmpp.js: 2 s a step). */
  loginTimeoutMs?: number
  /** Longest session age at the start (uptime), spread evenly. */
  maxUptimeMs?: number
}

export interface WorldFigures {
  logins: number
  failedLogins: number
  /** Most logins waiting on one node at once. */
  peakQueue: number
  /** Clients that lost their session and did not come back (by design of their kind). */
  gone: number
}

interface Login {
  user: number
  arrivedAt: number
  done: (ok: boolean) => void
}

interface NodeState {
  name: string
  server: string
  address: string
  sessions: number
  /** Users who joined it at some point (stale entries are filtered on read): a per-node index. */
  members: number[]
  cordoned: boolean
  queue: Login[]
  head: number
  busy: number
}

/**
 * The cluster as its servers see it, and the clients' side of every move. The directory and the
 * control (sim-directory.ts, sim-control.ts) only read and act through this.
 */
export class SimulatedWorld {
  readonly clock: Clock
  readonly random: () => number
  readonly nodes: NodeState[]
  readonly sessions: number
  readonly figures: WorldFigures = {logins: 0, failedLogins: 0, peakQueue: 0, gone: 0}
  readonly #node: Uint8Array
  readonly #generation: Uint16Array
  readonly #startedAt: Float64Array
  readonly #kind: Uint8Array
  readonly #pending: Uint8Array
  readonly #serviceMs: number
  readonly #workers: number
  readonly #loginTimeoutMs: number
  readonly #byAddress = new Map<string, number>()
  readonly #byName = new Map<string, number>()

  constructor(options: WorldOptions) {
    const {clock, random, sessions} = options
    const total = options.nodes + (options.emptyNodes ?? 0)
    if (total > OFFLINE) throw new RangeError(`at most ${OFFLINE} nodes`)
    this.clock = clock
    this.random = random
    this.sessions = sessions
    this.#workers = options.workers ?? 2
    this.#serviceMs = (this.#workers * 1000) / options.nodeCapacity
    this.#loginTimeoutMs = options.loginTimeoutMs ?? 2_000
    this.nodes = Array.from({length: total}, (_, i) => ({
      name: `node-${i + 1}`,
      server: `xt${i + 1}@sim`,
      address: `10.1.${(i + 1) >> 8}.${(i + 1) & 255}:5222`,
      sessions: 0,
      members: [],
      cordoned: false,
      queue: [],
      head: 0,
      busy: 0,
    }))
    this.nodes.forEach((node, i) => {
      this.#byAddress.set(node.address, i)
      this.#byName.set(node.name, i)
    })
    this.#node = new Uint8Array(sessions)
    this.#generation = new Uint16Array(sessions)
    this.#startedAt = new Float64Array(sessions)
    this.#kind = new Uint8Array(sessions)
    this.#pending = new Uint8Array(sessions)
    const now = clock.now()
    const maxUptimeMs = options.maxUptimeMs ?? 3 * 86_400_000
    // node-1's users are spread over the JID space (every step-th user), the rest round robin.
    const onFirst = Math.min(sessions, options.onFirstNode ?? Math.round(sessions / options.nodes))
    const step = onFirst > 0 ? sessions / onFirst : Infinity
    let next = 0
    for (let user = 0; user < sessions; user++) {
      const first = Math.floor((user + 1) / step) > Math.floor(user / step)
      const node = first || options.nodes === 1 ? 0 : 1 + (next++ % (options.nodes - 1))
      this.#place(user, node)
      this.#startedAt[user] = now - random() * maxUptimeMs
      this.#kind[user] = pickKind(options.mix, random())
    }
  }

  // --- what the directory reads -------------------------------------------------------------

  bareOf(user: number): string {
    return `u${String(user).padStart(7, '0')}@example.test`
  }

  /** The user behind a bare or full JID, or undefined when it is not one of ours. */
  userOf(jid: string): number | undefined {
    const user = Number(jid.slice(1, 8))
    return jid.startsWith('u') && Number.isInteger(user) && user < this.sessions && jid.startsWith(this.bareOf(user)) ? user : undefined
  }

  jidOf(user: number): string {
    return `${this.bareOf(user)}/r${this.#generation[user]}`
  }

  nodeIndex(name: string): number | undefined {
    return this.#byName.get(name)
  }

  nodeOfAddress(address: string): number | undefined {
    return this.#byAddress.get(address)
  }

  /** The node index the user is online on, or undefined. */
  whereIs(user: number): number | undefined {
    const node = this.#node[user]!
    return node === OFFLINE ? undefined : node
  }

  kindOf(user: number): ClientKind {
    return this.#kind[user] as ClientKind
  }

  /** The user's session as a directory (with the server companion) lists it, or undefined when offline. */
  sessionOf(user: number): SessionInfo | undefined {
    const index = this.#node[user]!
    if (index === OFFLINE) return undefined
    const node = this.nodes[index]!
    const traits = CLIENT_TRAITS[this.kindOf(user)]
    const resource = `r${this.#generation[user]}`
    const bare = flat(this.bareOf(user))
    return {
      jid: flat(`${bare}/${resource}`),
      bare,
      resource,
      node: node.name,
      server: node.server,
      uptimeSeconds: Math.max(0, Math.floor((this.clock.now() - this.#startedAt[user]!) / 1000)),
      streamManagement: this.#pending[user] ? 'pending' : 'active',
      resumable: traits.resumable && !this.#pending[user],
      ...(traits.capsNode ? {capsNode: traits.capsNode} : {}),
    }
  }

  /** Every user online on this node now. */
  *usersOn(index: number): Generator<number> {
    const node = this.nodes[index]!
    // A user who left and came back is listed twice in members: count each once.
    const seen = new Set<number>()
    for (const user of node.members) {
      if (this.#node[user] !== index || seen.has(user)) continue
      seen.add(user)
      yield user
    }
  }

  // --- what happens to sessions --------------------------------------------------------------

  /** The user's session ends (its socket closed or a stream error): listed nowhere. */
  drop(user: number): void {
    const node = this.#node[user]!
    if (node === OFFLINE) return
    this.nodes[node]!.sessions -= 1
    this.#node[user] = OFFLINE
    this.#pending[user] = 0
  }

  /** A handed-over session: its socket is gone, the server keeps it for a resumption. */
  suspend(user: number): void {
    this.#pending[user] = 1
  }

  /**
   * The client logs in on `node`; on success its session binds there (a make-before-break
   * client's old session is replaced at that moment). `freshResource`: it came back as a new
   * full JID, as clients that do not keep their resource do.
   */
  login(user: number, node: number, options: {freshResource?: boolean; resumed?: boolean}, done: (ok: boolean) => void): void {
    const target = this.nodes[node]!
    if (target.cordoned) return done(false)
    target.queue.push({
      user,
      arrivedAt: this.clock.now(),
      done: (ok) => {
        if (ok) this.#bind(user, node, options)
        done(ok)
      },
    })
    this.figures.peakQueue = Math.max(this.figures.peakQueue, target.queue.length - target.head)
    this.#serve(target)
  }

  /** A random node that takes connections, as a client's SRV lookup would pick (the source included when it is open). */
  anyOpenNode(): number | undefined {
    const open = this.nodes.flatMap((node, i) => (node.cordoned ? [] : [i]))
    return open.length === 0 ? undefined : open[Math.floor(this.random() * open.length)]
  }

  /** Between `low` and `high` ms, uniformly. */
  between(low: number, high: number): number {
    return low + this.random() * (high - low)
  }

  #place(user: number, node: number): void {
    this.#node[user] = node
    const state = this.nodes[node]!
    state.sessions += 1
    state.members.push(user)
  }

  #bind(user: number, node: number, {freshResource, resumed}: {freshResource?: boolean; resumed?: boolean}): void {
    this.drop(user)
    this.#place(user, node)
    if (freshResource) this.#generation[user] = (this.#generation[user]! + 1) & 0xffff
    if (!resumed) this.#startedAt[user] = this.clock.now()
  }

  #serve(node: NodeState): void {
    while (node.busy < this.#workers && node.queue.length > node.head) {
      const login = node.queue[node.head]!
      node.queue[node.head++] = undefined as unknown as Login
      if (node.head > 1024 && node.head * 2 > node.queue.length) {
        node.queue.splice(0, node.head)
        node.head = 0
      }
      const waited = this.clock.now() - login.arrivedAt
      const gaveUp = waited > this.#loginTimeoutMs
      // ±20 % a login; a login whose client gave up still costs half (a guess, as in test/support/simulated-cluster.ts).
      const service = this.#serviceMs * (0.8 + 0.4 * this.random()) * (gaveUp ? 0.5 : 1)
      node.busy += 1
      this.figures.logins += 1
      void this.clock.sleep(service).then(() => {
        node.busy -= 1
        if (gaveUp) this.figures.failedLogins += 1
        login.done(!gaveUp)
        this.#serve(node)
      })
    }
  }
}

/**
 * A string as JSON.parse gives it (one flat run of characters), not the rope a template
 * literal builds: V8 flattens a rope the first time it is hashed (a Set or Map key), and the
 * engine would pay here for what the real directory's JSON.parse already paid (bench:scale's
 * knownJidsOf spent 38 % of a 10^6-session plan flattening the simulation's ropes). Converting
 * to a number flattens it in place.
 */
function flat(text: string): string {
  void Number(text)
  return text
}
