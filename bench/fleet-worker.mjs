// One slice of the bench's rehearsal fleet, in its own process: the parent (bench.mjs)
// sends commands over IPC; each answer carries the command's id. Uses the built
// startFleet (dist/), the same client code as `xtransfer simulate`.
import {readFileSync} from 'node:fs'

import {startFleet} from '../dist/fleet/index.js'
import {BODY_PREFIX, parseBody, startSender} from './lib/message-sender.mjs'

const now = () => performance.timeOrigin + performance.now()
/** @type {{fleet: import('../dist/fleet/index.js').Fleet, users: string[]}[]} */
let fleets = []
let log = freshLog()
/** This worker's message sender, when it runs one (bench.mjs starts it in its own worker). */
let sender = null
/**
 * Every bench message this worker's users ever got, by phase tag: seq → came through
 * storage. Never reset, so a message that arrives after its phase (a late delivery, or
 * offline storage handing it over at a later login) is still seen.
 */
const seen = new Map()

function freshLog() {
  return {online: [], loginFailed: 0, loginErrors: [], packets: [], transferred: [], transferFailed: [], refused: 0, offline: [],
    reconnecting: [], rebound: [], reconnectErrors: 0, reconnectErrorSample: [], crashes: 0, crashSample: [],
    // [user, phase tag, seq, sent at, received at, delayed (came through storage)] of the bench sender's messages
    messages: []}
}

function onEvent(event) {
  const t = now()
  switch (event.type) {
    case 'online': log.online.push([t, Math.round(event.ms)]); break
    case 'login-failed':
      log.loginFailed++
      if (log.loginErrors.length < 5) log.loginErrors.push(`${event.user}: ${describe(event.error)}`)
      break
    case 'transfer-packet': log.packets.push([event.user, t]); break
    case 'transferred': log.transferred.push([event.user, t, Math.round(event.ms), event.to]); break
    case 'transfer-failed': log.transferFailed.push([event.user, t, describe(event.error)]); break
    case 'transfer-refused': log.refused++; break
    case 'offline': log.offline.push([event.user, t]); break
    case 'message': {
      const parsed = event.body.startsWith(BODY_PREFIX) && parseBody(event.body)
      if (parsed) {
        log.messages.push([event.user, parsed.tag, parsed.seq, parsed.sentAt, t, event.delayed ? 1 : 0])
        if (!seen.has(parsed.tag)) seen.set(parsed.tag, new Map())
        if (!seen.get(parsed.tag).has(parsed.seq)) seen.get(parsed.tag).set(parsed.seq, event.delayed)
      }
      break
    }
  }
}

/** name, XMPP condition and message of an error: xmpp.js errors often carry only a condition. */
function describe(error) {
  if (!error) return String(error)
  return [error.name, error.condition, error.message].filter(Boolean).join(': ')
}

const handlers = {
  /** Log in groups of users, one startFleet per service, together sharing `parallelism`. */
  async login({groups, password, domain, parallelism, mode, trustedAdmins, loginTimeout, presence}) {
    const share = Math.max(1, Math.round(parallelism / groups.length))
    const startedAt = now()
    const outcomes = await Promise.allSettled(groups.map(({service, users}) => startFleet({
      service, domain, users, password, parallelism: share, mode, trustedAdmins, onEvent, loginTimeout, presence,
    }).then((fleet) => fleets.push({fleet, users}))))
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason?.message ?? String(outcome.reason))
    return {startedAt, endedAt: now(), online: fleets.reduce((n, {users}) => n + users.length, 0), failures}
  },

  /**
   * Kick-all baseline: turn @xmpp/reconnect back on (startFleet stops it) and point
   * each client's configured service at the node it should come back to.
   */
  async armReconnect({serviceOf}) {
    let armed = 0
    for (const {fleet, users} of fleets) {
      for (const user of users) {
        const client = fleet.clientOf(user)
        if (!client) continue
        client.options.service = serviceOf[user]
        client.reconnect.on('reconnecting', () => log.reconnecting.push(now()))
        client.on('status', (status) => {
          if (status === 'online') log.rebound.push([user, now()])
        })
        client.on('error', (error) => {
          if (error?.condition === 'conflict') return // the kick itself
          log.reconnectErrors++
          if (log.reconnectErrorSample.length < 5) log.reconnectErrorSample.push(`${user}: ${describe(error)}`)
        })
        client.reconnect.start()
        armed++
      }
    }
    return {armed}
  },

  /** Per-user stats of every fleet, this process's own cost, and the events since the last collect. */
  async collect({withStats = true} = {}) {
    const stats = withStats ? fleets.flatMap(({fleet}) => fleet.stats()) : []
    // Sessions whose stream has XEP-0198 stream management enabled (the server offered it, the client asked).
    let streamManagement = 0
    for (const {fleet, users} of fleets) for (const user of users) if (fleet.clientOf(user)?.streamManagement?.enabled) streamManagement++
    const result = {stats, log, streamManagement, cpu: process.cpuUsage(), memory: ownMemory()}
    log = freshLog()
    return result
  },

  /** Cheap progress: who is online where, events so far (nothing reset), this process's CPU. */
  async counts() {
    const byService = {}
    let online = 0
    for (const {fleet} of fleets) {
      const totals = fleet.totals()
      online += totals.online
      for (const [service, n] of Object.entries(totals.byService)) byService[service] = (byService[service] ?? 0) + n
    }
    return {online, byService, transferred: log.transferred.length, rebound: log.rebound.length, messages: log.messages.length, cpu: process.cpuUsage(), memory: ownMemory()}
  },

  /** What `seen` holds: {tag: [seq, …]}, a negative seq for a first copy that came through storage. */
  async seen() {
    return Object.fromEntries([...seen].map(([tag, seqs]) => [tag, [...seqs].map(([seq, delayed]) => (delayed ? -seq : seq))]))
  },

  /** Numbered chat messages to `targets` at `rate` per second (bench/lib/message-sender.mjs). */
  async sendStart(options) {
    if (sender) throw new Error('the sender is already running')
    sender = await startSender(options)
    return {startedAt: now()}
  },

  async sendStop({graceMs}) {
    if (!sender) throw new Error('no sender is running')
    const result = await sender.stop({graceMs})
    sender = null
    return result
  },

  async stop() {
    const started = now()
    // A client closed on purpose must not come back by itself (kick-all armed reconnect).
    for (const {fleet, users} of fleets) for (const user of users) fleet.clientOf(user)?.reconnect.stop()
    await Promise.all(fleets.map(({fleet}) => fleet.stop()))
    fleets = []
    return {ms: now() - started}
  },
}

function ownMemory() {
  const status = readFileSync('/proc/self/status', 'utf8')
  const mb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024
  return {rssMb: mb('VmRSS'), hwmMb: mb('VmHWM')}
}

process.on('message', async (message) => {
  const {id, cmd, args} = message
  try {
    const result = await handlers[cmd](args ?? {})
    process.send({id, ok: true, result})
  } catch (error) {
    process.send({id, ok: false, error: error?.stack ?? String(error)})
  }
})
// @xmpp/connection 0.14 can throw from a socket 'data' listener after a stream error has
// detached its parser (`this.parser.write` on null, seen when sessions are kicked): an
// uncaught exception that would kill the whole slice. Count it and go on; the session's
// own fate still shows in the stats.
process.on('uncaughtException', (error) => {
  log.crashes++
  if (log.crashSample.length < 3) log.crashSample.push(String(error?.stack ?? error).split('\n').slice(0, 2).join(' '))
})
// The parent is gone: nothing to report to.
process.on('disconnect', () => process.exit(0))
process.send({ready: true})
