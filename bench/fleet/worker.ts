// One slice of the bench's rehearsal fleet, in its own process (it holds thousands of
// sessions): the parent (fleet/pool.ts) sends commands over IPC (fleet/protocol.ts); each
// answer carries the command's id.
import type * as FleetModule from '../../src/fleet/index.js'
import type {Fleet, FleetEvent} from '../../src/fleet/index.js'
import {memoryMb} from '../lab/proc-stats.js'
import {BODY_PREFIX, parseBody, type Sender, startSender} from './message-sender.js'
import {type CrowdEvent, startOrdinaryClients} from './ordinary-clients.js'
import type {WorkerAnswer, WorkerCommand, WorkerCommands, WorkerLog, WorkerMemory, WorkerRequest} from './protocol.js'

// The built startFleet (dist/, which bench/run.sh has just built): the client code that
// `xtransfer simulate` runs, as the CLI under test runs dist/ too; typed by its source.
const {startFleet} = (await import(new URL('../../dist/fleet/index.js', import.meta.url).href)) as typeof FleetModule

type Handlers = {[C in WorkerCommand]: (args: WorkerCommands[C]['args']) => Promise<WorkerCommands[C]['result']>}

const now = () => performance.timeOrigin + performance.now()
let fleets: {fleet: Fleet; users: readonly string[]}[] = []
let log = freshLog()
/** This worker's message sender, when it runs one (the bench starts it in a worker of its own). */
let sender: Sender | null = null
/**
 * Every bench message this worker's users ever got, by phase tag: seq → came through
 * storage. Never reset, so a message that arrives after its phase (a late delivery, or
 * offline storage handing it over at a later login) is still seen.
 */
const seen = new Map<string, Map<number, boolean>>()

function freshLog(): WorkerLog {
  return {
    online: [],
    loginFailed: 0,
    loginErrors: [],
    packets: [],
    transferred: [],
    transferFailed: [],
    refused: 0,
    offline: [],
    reconnecting: [],
    rebound: [],
    resumed: 0,
    reconnectErrors: 0,
    reconnectErrorSample: [],
    crashes: 0,
    crashSample: [],
    messages: [],
  }
}

function onEvent(event: FleetEvent): void {
  const t = now()
  switch (event.type) {
    case 'online':
      log.online.push([t, Math.round(event.ms)])
      break
    case 'login-failed':
      log.loginFailed++
      if (log.loginErrors.length < 5) log.loginErrors.push(`${event.user}: ${describe(event.error)}`)
      break
    case 'transfer-packet':
      log.packets.push([event.user, t])
      break
    case 'transferred':
      log.transferred.push([event.user, t, Math.round(event.ms), event.to])
      break
    case 'transfer-failed':
      log.transferFailed.push([event.user, t, describe(event.error)])
      break
    case 'transfer-refused':
      log.refused++
      break
    case 'offline':
      log.offline.push([event.user, t])
      break
    case 'message': {
      const parsed = event.body.startsWith(BODY_PREFIX) && parseBody(event.body)
      if (parsed) {
        log.messages.push([event.user, parsed.tag, parsed.seq, parsed.sentAt, t, event.delayed ? 1 : 0])
        let seqs = seen.get(parsed.tag)
        if (!seqs) seen.set(parsed.tag, (seqs = new Map()))
        if (!seqs.has(parsed.seq)) seqs.set(parsed.seq, event.delayed)
      }
      break
    }
  }
}

/** The ordinary clients' reconnects, in the same log as the baselines' armed fleet. */
function onCrowdEvent(event: CrowdEvent): void {
  const t = now()
  switch (event.type) {
    case 'reconnecting':
      log.reconnecting.push(t)
      break
    case 'rebound':
      log.rebound.push([event.user, t])
      if (event.resumed) log.resumed++
      break
    case 'error':
      if (event.condition === 'conflict') return // a kick itself
      log.reconnectErrors++
      if (log.reconnectErrorSample.length < 5) log.reconnectErrorSample.push(`${event.user}: ${event.condition ?? ''} ${event.text}`.trim())
      break
  }
}

/** name, XMPP condition and message of an error: xmpp.js errors often carry only a condition. */
function describe(error: unknown): string {
  if (!error) return String(error)
  const {name, condition, message} = error as {name?: string; condition?: string; message?: string}
  return [name, condition, message].filter(Boolean).join(': ')
}

function ownMemory(): WorkerMemory {
  const {rss, hwm} = memoryMb('self')
  return {rssMb: rss, hwmMb: hwm}
}

const handlers: Handlers = {
  async login({groups, password, domain, parallelism, mode, trustedAdmins, loginTimeout, presence}) {
    const share = Math.max(1, Math.round(parallelism / groups.length))
    const startedAt = now()
    const outcomes = await Promise.allSettled(
      groups.map(({service, users}) =>
        startFleet({
          service,
          domain,
          users,
          password,
          parallelism: share,
          mode,
          trustedAdmins,
          onEvent,
          loginTimeout,
          presence,
        }).then((fleet) => fleets.push({fleet, users})),
      ),
    )
    const failures = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [(outcome.reason as Error | undefined)?.message ?? String(outcome.reason)] : [],
    )
    return {startedAt, endedAt: now(), online: fleets.reduce((n, {users}) => n + users.length, 0), failures}
  },

  // Unmodified @xmpp/client apps (no helper), their own reconnect on: fleet/ordinary-clients.ts.
  async loginOrdinary({groups, password, domain, parallelism, reconnectDelayMs, loginTimeout}) {
    const share = Math.max(1, Math.round(parallelism / groups.length))
    const startedAt = now()
    const outcomes = await Promise.allSettled(
      groups.map(({service, users, reconnectTo}) =>
        startOrdinaryClients({
          service,
          domain,
          users,
          password,
          reconnectTo: (user) => reconnectTo[user],
          parallelism: share,
          reconnectDelayMs,
          loginTimeout,
          onEvent,
          onCrowdEvent,
          now,
        }).then((fleet) => fleets.push({fleet, users})),
      ),
    )
    const failures = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [(outcome.reason as Error | undefined)?.message ?? String(outcome.reason)] : [],
    )
    return {startedAt, endedAt: now(), online: fleets.reduce((n, {users}) => n + users.length, 0), failures}
  },

  // startFleet stops @xmpp/reconnect; the baselines want it back, each client's configured
  // service pointed at the node it should come back to.
  async armReconnect({serviceOf}) {
    let armed = 0
    for (const {fleet, users} of fleets) {
      for (const user of users) {
        const client = fleet.clientOf(user)
        if (!client) continue
        client.options.service = serviceOf[user]
        client.reconnect.on('reconnecting', () => log.reconnecting.push(now()))
        client.on('status', (status: string) => {
          if (status === 'online') log.rebound.push([user, now()])
        })
        client.on('error', (error: {condition?: string} | undefined) => {
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

  async collect({withStats = true}) {
    const stats = withStats ? fleets.flatMap(({fleet}) => fleet.stats()) : []
    // Sessions whose stream has XEP-0198 stream management enabled (the server offered it, the client asked).
    let streamManagement = 0
    for (const {fleet, users} of fleets) for (const user of users) if (fleet.clientOf(user)?.streamManagement?.enabled) streamManagement++
    const result = {stats, log, streamManagement, cpu: process.cpuUsage(), memory: ownMemory()}
    log = freshLog()
    return result
  },

  async counts() {
    const byService: Record<string, number> = {}
    let online = 0
    for (const {fleet} of fleets) {
      const totals = fleet.totals()
      online += totals.online
      for (const [service, n] of Object.entries(totals.byService)) byService[service] = (byService[service] ?? 0) + n
    }
    return {
      online,
      byService,
      transferred: log.transferred.length,
      rebound: log.rebound.length,
      messages: log.messages.length,
      cpu: process.cpuUsage(),
      memory: ownMemory(),
    }
  },

  async seen() {
    return Object.fromEntries([...seen].map(([tag, seqs]) => [tag, [...seqs].map(([seq, delayed]) => (delayed ? -seq : seq))]))
  },

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
    // A client closed on purpose must not come back by itself (the baselines armed reconnect).
    for (const {fleet, users} of fleets) for (const user of users) fleet.clientOf(user)?.reconnect.stop()
    await Promise.all(fleets.map(({fleet}) => fleet.stop()))
    fleets = []
    return {ms: now() - started}
  },
}

const send = (message: unknown) => process.send?.(message)

process.on('message', async (message: WorkerRequest) => {
  const {id, cmd, args} = message
  try {
    const handle = handlers[cmd] as (args: unknown) => Promise<unknown>
    const result = await handle(args ?? {})
    send({id, ok: true, result} satisfies WorkerAnswer)
  } catch (error) {
    send({id, ok: false, error: (error as Error | undefined)?.stack ?? String(error)} satisfies WorkerAnswer)
  }
})
// @xmpp/connection 0.14 can throw from a socket 'data' listener after a stream error has
// detached its parser (`this.parser.write` on null, seen when sessions are kicked): an
// uncaught exception that would kill the whole slice. Count it and go on; the session's
// own fate still shows in the stats.
process.on('uncaughtException', (error) => {
  log.crashes++
  if (log.crashSample.length < 3)
    log.crashSample.push(
      String(error?.stack ?? error)
        .split('\n')
        .slice(0, 2)
        .join(' '),
    )
})
// The parent is gone: nothing to report to.
process.on('disconnect', () => process.exit(0))
send({ready: true})
