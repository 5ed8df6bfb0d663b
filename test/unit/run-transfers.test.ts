import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {SessionInfo} from '../../src/model/session.js'
import type {PacketSender} from '../../src/engine/packet-senders.js'
import {planDrain} from '../../src/engine/plan.js'
import {runTransfers} from '../../src/engine/run-transfers.js'
import {ACK_LOST, ACK_TIMEOUT, ackFromText} from '../../src/model/ack.js'
import {ConnectionLostError, IqTimeoutError} from '../../src/connection/iq-exchange.js'
import type {TransferTarget} from '../../src/model/transfer.js'
import {fakeClock} from './fake-clock.js'

/** An ack as the journal and the report spell it. */
type AckText = string

const targets: TransferTarget[] = ['n2', 'n3'].map((name, i) => ({name, address: {kind: 'ipv4', host: '127.0.0.1', port: 2 + i}, isNode: true}))

/**
 * An in-memory cluster: a packet answered `result` moves the session to its
 * target after `delayMs`, optionally under another resource.
 */
function fakeCluster(
  clock: {now(): number},
  users: string[],
  behaviour: (user: string) => {ack: AckText; moves: boolean; newResource?: string; delayMs?: number},
) {
  const sessions = new Map<string, SessionInfo & {startedAt: number}>()
  const moves: Array<{at: number; apply(): void}> = []
  for (const user of users) {
    sessions.set(`${user}@d/r`, {jid: `${user}@d/r`, bare: `${user}@d`, resource: 'r', node: 'n1', server: 'n1', uptimeSeconds: 0, startedAt: 0})
  }
  const lookups: number[] = []
  const sender: PacketSender = {
    acksObservable: true,
    async send(item) {
      const how = behaviour(item.bare.split('@')[0])
      if (how.moves) {
        moves.push({
          at: clock.now() + (how.delayMs ?? 100),
          apply() {
            sessions.delete(item.jid)
            const resource = how.newResource ?? item.resource
            const jid = `${item.bare}/${resource}`
            sessions.set(jid, {jid, bare: item.bare, resource, node: item.target.name, server: item.target.name, uptimeSeconds: 0, startedAt: clock.now()})
          },
        })
      }
      return ackFromText(how.ack)
    },
  }
  const directory = {
    async sessionsOf(bares: string[]) {
      lookups.push(bares.length)
      for (const move of moves.splice(0)) {
        if (move.at <= clock.now()) move.apply()
        else moves.push(move)
      }
      const found = new Map<string, SessionInfo[]>()
      for (const bare of bares) {
        found.set(
          bare,
          [...sessions.values()].filter((s) => s.bare === bare).map((s) => ({...s, uptimeSeconds: Math.floor((clock.now() - s.startedAt) / 1000)})),
        )
      }
      return found
    },
  }
  return {sessions, sender, directory, lookups, list: () => [...sessions.values()]}
}

const options = {rate: 1000, concurrency: 10, waitMs: 5_000, pollMs: 250}

test('every session that follows the packet is reported moved to where it reappeared', async () => {
  const clock = fakeClock()
  const users = Array.from({length: 20}, (_, i) => `u${i}`)
  const cluster = fakeCluster(clock, users, () => ({ack: 'result', moves: true}))
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const {records, unsent} = await runTransfers({
    plan,
    sender: cluster.sender,
    directory: cluster.directory,
    clock,
    options,
    knownJids: new Set(cluster.list().map((s) => s.jid)),
  })
  assert.equal(unsent.length, 0)
  assert.equal(records.length, 20)
  for (const record of records) {
    assert.equal(record.outcome, 'moved', record.jid)
    assert.equal(record.reconnectedTo, record.target)
    assert.ok(record.latencyMs! >= 100 && record.latencyMs! < 1000, `latency ${record.latencyMs}`)
  }
})

test('refusals settle at once; silent clients that stay are not moved; clients that vanish went offline', async () => {
  const clock = fakeClock()
  const users = ['refuse', 'forbid', 'silent', 'vanish', 'good']
  const cluster = fakeCluster(
    clock,
    users,
    (user) =>
      ({
        refuse: {ack: 'error:service-unavailable' as AckText, moves: false},
        forbid: {ack: 'error:forbidden' as AckText, moves: false},
        silent: {ack: 'timeout' as AckText, moves: false},
        vanish: {ack: 'result' as AckText, moves: false},
        good: {ack: 'result' as AckText, moves: true},
      })[user]!,
  )
  cluster.sessions.delete('vanish@d/r')
  const sessions = [...users.map((u) => ({jid: `${u}@d/r`, bare: `${u}@d`, resource: 'r', node: 'n1', server: 'n1', uptimeSeconds: 0}))]
  const plan = planDrain({sessions, targets, loads: new Map()})
  const {records} = await runTransfers({plan, sender: cluster.sender, directory: cluster.directory, clock, options, knownJids: new Set()})
  const outcome = Object.fromEntries(records.map((r) => [r.bare.split('@')[0], r.outcome]))
  assert.deepEqual(outcome, {refuse: 'unsupported', forbid: 'not-moved', silent: 'not-moved', vanish: 'went-offline', good: 'moved'})
})

test('a client that comes back under a new resource is matched by the session that began after the packet', async () => {
  const clock = fakeClock()
  const cluster = fakeCluster(clock, ['a'], () => ({ack: 'result', moves: true, newResource: 'fresh'}))
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const {records} = await runTransfers({plan, sender: cluster.sender, directory: cluster.directory, clock, options, knownJids: new Set(['a@d/r'])})
  assert.equal(records[0].outcome, 'moved')
  assert.equal(records[0].reconnectedJid, 'a@d/fresh')
})

test('a session that reconnects to its source is not moved', async () => {
  const clock = fakeClock()
  const cluster = fakeCluster(clock, ['a'], () => ({ack: 'result', moves: true}))
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()}).map((item) => ({...item, target: {...item.target, name: 'n1'}}))
  const {records} = await runTransfers({plan, sender: cluster.sender, directory: cluster.directory, clock, options, knownJids: new Set()})
  assert.equal(records[0].outcome, 'not-moved')
})

test('polls ask only about users still pending', async () => {
  const clock = fakeClock()
  const users = Array.from({length: 10}, (_, i) => `u${i}`)
  // Half move quickly, half never do.
  const cluster = fakeCluster(clock, users, (user) => ({ack: 'result', moves: Number(user.slice(1)) % 2 === 0}))
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  await runTransfers({plan, sender: cluster.sender, directory: cluster.directory, clock, options, knownJids: new Set()})
  assert.ok(cluster.lookups.length > 3)
  // Once the movers have settled, only the five that never move are asked about.
  assert.ok(Math.max(...cluster.lookups.slice(-3)) <= 5, `last polls asked about ${cluster.lookups.slice(-3)} users`)
  assert.ok(cluster.lookups.every((n) => n <= 10))
})

test('an aborted run sends nothing more and lists the rest as unsent', async () => {
  const clock = fakeClock()
  const users = Array.from({length: 10}, (_, i) => `u${i}`)
  const abort = new AbortController()
  const cluster = fakeCluster(clock, users, () => ({ack: 'result', moves: true}))
  const sender: PacketSender = {
    acksObservable: true,
    async send(item) {
      const ack = await cluster.sender.send(item)
      if (item.bare === 'u2@d') abort.abort()
      return ack
    },
  }
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const {records, unsent} = await runTransfers({
    plan,
    sender,
    directory: cluster.directory,
    clock,
    options: {...options, concurrency: 1},
    knownJids: new Set(),
    signal: abort.signal,
  })
  assert.equal(records.length, 3)
  assert.equal(unsent.length, 7)
  assert.ok(records.every((record) => record.outcome === 'moved'))
})

test('a directory that stays down stops the run with its error', async () => {
  const clock = fakeClock()
  const cluster = fakeCluster(clock, ['a', 'b'], () => ({ack: 'result', moves: true}))
  const directory = {
    sessionsOf: async () => {
      throw new Error('directory down')
    },
  }
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const result = await runTransfers({plan, sender: cluster.sender, directory, clock, options, knownJids: new Set()})
  assert.equal(result.error?.message, 'directory down')
})

test('one listing that outlasts the whole wait is a slow directory, not an outage: the next poll answers and the run goes on', async () => {
  const clock = fakeClock()
  const cluster = fakeCluster(clock, ['a', 'b', 'c'], () => ({ack: 'result', moves: true}))
  let calls = 0
  const directory = {
    async sessionsOf(bares: string[]) {
      // The first listing under a login storm times out after its bound, longer than --wait.
      if (calls++ === 0) {
        clock.advance(options.waitMs + 1000)
        throw new Error('listing timed out')
      }
      return cluster.directory.sessionsOf(bares)
    },
  }
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const result = await runTransfers({plan, sender: cluster.sender, directory, clock, options, knownJids: new Set()})
  assert.equal(result.error, undefined)
  assert.ok(calls >= 2)
  assert.equal(result.records.length, plan.length)
  assert.ok(result.records.every((record) => record.outcome === 'moved'))
})

test('a poll that fails is no news: the run goes on while the directory answers again within the wait', async () => {
  const clock = fakeClock()
  const cluster = fakeCluster(clock, ['a', 'b', 'c'], () => ({ack: 'result', moves: true}))
  let failures = 2
  const directory = {
    async sessionsOf(bares: string[]) {
      if (failures-- > 0) throw new Error('listing timed out')
      return cluster.directory.sessionsOf(bares)
    },
  }
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const result = await runTransfers({plan, sender: cluster.sender, directory, clock, options, knownJids: new Set()})
  assert.equal(result.error, undefined)
  assert.equal(result.records.length, plan.length)
  assert.ok(result.records.every((record) => record.outcome === 'moved'))
})

test('an abort does not wait out the pace: transfers queued for their turn are unsent at once', async () => {
  const clock = fakeClock()
  const users = Array.from({length: 10}, (_, i) => `u${i}`)
  const abort = new AbortController()
  const cluster = fakeCluster(clock, users, () => ({ack: 'result', moves: true}))
  const sender: PacketSender = {
    acksObservable: true,
    async send(item) {
      const ack = await cluster.sender.send(item)
      abort.abort()
      return ack
    },
  }
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const started = Date.now()
  // 2 packets/s: the nine queued behind the first would take 4.5 s of real time to be let through one by one.
  const {records, unsent} = await runTransfers({
    plan,
    sender,
    directory: cluster.directory,
    clock,
    options: {...options, rate: 2, concurrency: 10},
    knownJids: new Set(),
    signal: abort.signal,
  })
  assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`)
  assert.equal(records.length, 1)
  assert.equal(unsent.length, 9)
})

test('a session whose answer comes in after the abort is watched for the grace only, not its whole wait', async () => {
  const clock = fakeClock()
  const abort = new AbortController()
  const cluster = fakeCluster(clock, ['slow'], () => ({ack: 'result', moves: false}))
  const sender: PacketSender = {
    acksObservable: true,
    async send(item) {
      abort.abort() // Ctrl-C while the client's answer is awaited
      await clock.sleep(2_000)
      return cluster.sender.send(item)
    },
  }
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const started = clock.now()
  const {records} = await runTransfers({
    plan,
    sender,
    directory: cluster.directory,
    clock,
    options: {...options, waitMs: 60_000},
    knownJids: new Set(),
    signal: abort.signal,
  })
  assert.equal(records[0].outcome, 'not-moved')
  assert.ok(clock.now() - started <= 5_000 + options.pollMs, `watched for ${clock.now() - started} ms`)
})

test('a packet whose answer was lost with the admin link is sent once more if the session has not moved; a plain timeout is not', async () => {
  const clock = fakeClock()
  const cluster = fakeCluster(clock, ['lost', 'silent'], () => ({ack: 'result', moves: true}))
  const sent: string[] = []
  const sender: PacketSender = {
    acksObservable: true,
    async send(item) {
      sent.push(item.bare)
      const user = item.bare.split('@')[0]
      // The first packet to `lost` never left (the stream was closing): no answer, and no move.
      if (user === 'lost' && sent.filter((bare) => bare === item.bare).length === 1) throw new ConnectionLostError()
      if (user === 'silent') throw new IqTimeoutError(item.jid, 1000)
      return cluster.sender.send(item)
    },
  }
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const {records} = await runTransfers({plan, sender: wrapAcks(sender), directory: cluster.directory, clock, options, knownJids: new Set()})
  const lost = records.find((record) => record.bare === 'lost@d')!
  assert.equal(lost.outcome, 'moved')
  assert.deepEqual(
    lost.rungs.map((rung) => rung.method),
    ['packet', 'packet'],
  )
  assert.equal(sent.filter((bare) => bare === 'silent@d').length, 1, 'a plain timeout is not sent again')
})

/** The admin sender's way with exceptions: a lost link is a lost answer, a timeout a timeout. */
function wrapAcks(inner: PacketSender): PacketSender {
  return {
    acksObservable: true,
    async send(item) {
      try {
        return await inner.send(item)
      } catch (error) {
        if (error instanceof ConnectionLostError) return ACK_LOST
        if (error instanceof IqTimeoutError) return ACK_TIMEOUT
        throw error
      }
    },
  }
}
