// The ladder in the runner (issue 12 §3), on an in-memory cluster: which rung each kind of
// client gets, that a refusal climbs at once, what a closed session that came back (or did
// not) is called, and that a resumed run never repeats a rung a session already had.
import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {PacketSender} from '../../src/engine/packet-senders.js'
import type {Move, MoveEnd, Pacer, PaceSignal} from '../../src/engine/pace/index.js'
import {planDrain} from '../../src/engine/plan.js'
import {RUNG_WINDOW_MS, runTransfers, type Ladder} from '../../src/engine/run-transfers.js'
import {ackFromText} from '../../src/model/ack.js'
import type {ActionResult} from '../../src/model/control.js'
import type {SessionInfo} from '../../src/model/session.js'
import type {MoveMethodName, TransferRecord, TransferTarget} from '../../src/model/transfer.js'
import {fakeClock} from './fake-clock.js'

const XMPPJS = 'https://xmpp.js.org'
const LIBSTROPHE = 'https://strophe.im/libstrophe'
const targets: TransferTarget[] = [{name: 'n2', address: {kind: 'ipv4', host: '127.0.0.1', port: 2}, isNode: true}]
const options = {rate: 1000, concurrency: 10, waitMs: 30_000, pollMs: 250}

/** What a client does with each move: follows it (lands on n2), comes back to n1, or goes away. */
type Reaction = 'lands' | 'ignores' | 'returns' | 'gone'
interface Client {
  capsNode?: string
  resumable?: boolean
  packet: 'refuse' | 'accept' | 'silent'
  on: Partial<Record<Exclude<MoveMethodName, 'packet'>, Reaction>>
}

function ladderCluster(clock: {now(): number}, clients: Record<string, Client>) {
  const sessions = new Map<string, SessionInfo & {startedAt: number}>()
  const due: Array<{at: number; apply(): void}> = []
  const calls: Array<{user: string; method: MoveMethodName}> = []
  for (const [user, client] of Object.entries(clients)) {
    const jid = `${user}@d/r`
    sessions.set(jid, {
      jid,
      bare: `${user}@d`,
      resource: 'r',
      node: 'n1',
      server: 'n1',
      uptimeSeconds: 0,
      startedAt: 0,
      resumable: client.resumable,
      capsNode: client.capsNode,
    })
  }
  const react = (jid: string, reaction: Reaction | undefined) => {
    if (!reaction || reaction === 'ignores') return
    const session = sessions.get(jid)!
    due.push({
      at: clock.now() + 1_000,
      apply() {
        sessions.delete(jid)
        const node = reaction === 'lands' ? 'n2' : 'n1'
        if (reaction !== 'gone') sessions.set(jid, {...session, node, server: node, startedAt: clock.now()})
      },
    })
  }
  const userOf = (jid: string) => jid.split('@')[0]
  const sender: PacketSender = {
    acksObservable: true,
    async send(item) {
      const user = userOf(item.jid)
      calls.push({user, method: 'packet'})
      const client = clients[user]
      if (client.packet === 'accept') {
        react(item.jid, 'lands')
        return ackFromText('result')
      }
      return ackFromText(client.packet === 'refuse' ? 'error:service-unavailable' : 'timeout')
    },
  }
  const act =
    (method: Exclude<MoveMethodName, 'packet'>) =>
    async ({jid}: {jid: string}): Promise<ActionResult> => {
      const user = userOf(jid)
      calls.push({user, method})
      if (!sessions.has(jid)) return {kind: 'refused', reason: 'no-session'}
      react(jid, clients[user].on[method])
      return {kind: 'done'}
    }
  const control: Ladder['control'] = {handover: act('handover'), redirect: act('redirect'), closeStream: act('close')}
  const directory = {
    async sessionsOf(bares: string[]) {
      for (const item of due.splice(0)) {
        if (item.at <= clock.now()) item.apply()
        else due.push(item)
      }
      return new Map(
        bares.map((bare) => [
          bare,
          [...sessions.values()].filter((s) => s.bare === bare).map((s) => ({...s, uptimeSeconds: Math.floor((clock.now() - s.startedAt) / 1000)})),
        ]),
      )
    },
  }
  const methodsFor = (user: string) => calls.filter((call) => call.user === user).map((call) => call.method)
  return {sessions, sender, control, directory, methodsFor, list: () => [...sessions.values()]}
}

const ladder = (control: Ladder['control'], methods: MoveMethodName[] = ['packet', 'handover', 'redirect', 'close']): Ladder => ({methods, control})

/** Drain every session of the cluster with the whole ladder; `row(user)` is that user's record. */
async function drainWithLadder(clock: ReturnType<typeof fakeClock>, cluster: ReturnType<typeof ladderCluster>) {
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  const {records} = await runTransfers({
    plan,
    sender: cluster.sender,
    directory: cluster.directory,
    clock,
    options,
    knownJids: new Set(),
    ladder: ladder(cluster.control),
  })
  return {records, row: (user: string) => records.find((record) => record.bare === `${user}@d`)!}
}

test('each client gets the gentlest rung it allows: a measured resumer is handed over, libstrophe and unknown clients are redirected, the helper takes the packet', async () => {
  const clock = fakeClock()
  const cluster = ladderCluster(clock, {
    xmppjs: {capsNode: XMPPJS, resumable: true, packet: 'refuse', on: {handover: 'lands'}},
    strophe: {capsNode: LIBSTROPHE, resumable: true, packet: 'silent', on: {handover: 'lands', redirect: 'lands'}},
    unknown: {capsNode: 'https://conversations.im', resumable: true, packet: 'refuse', on: {handover: 'lands', redirect: 'lands'}},
    helper: {packet: 'accept', on: {}},
  })
  const started = clock.now()
  const {row} = await drainWithLadder(clock, cluster)
  for (const user of ['xmppjs', 'strophe', 'unknown', 'helper']) assert.equal(row(user).outcome, 'moved', user)
  assert.equal(row('xmppjs').method, 'handover')
  assert.deepEqual(cluster.methodsFor('xmppjs'), ['packet', 'handover'])
  assert.deepEqual(
    row('xmppjs').rungs.map((rung) => `${rung.method}:${rung.result}`),
    ['packet:refused', 'handover:done'],
  )
  // A refusal climbs at once: the handover follows within the pump's next turn, not a rung's window.
  const climb = row('xmppjs').rungs[1].at - row('xmppjs').rungs[0].at
  assert.ok(climb < 1_000, `the handover came ${climb} ms after the refusal`)
  // libstrophe hangs after a handover (measured): never handed over, redirected after its silence.
  assert.deepEqual(cluster.methodsFor('strophe'), ['packet', 'redirect'])
  assert.equal(row('strophe').method, 'redirect')
  // A client nobody measured is not handed over either.
  assert.deepEqual(cluster.methodsFor('unknown'), ['packet', 'redirect'])
  assert.deepEqual(cluster.methodsFor('helper'), ['packet'])
  assert.equal(row('helper').method, 'packet')
  assert.ok(clock.now() - started < options.waitMs, 'nobody waited out --wait')
})

test('the last rung: a closed session that comes back to its node is returned, one that stays away is not-back; a closed and landed one is moved by close', async () => {
  const clock = fakeClock()
  const cluster = ladderCluster(clock, {
    back: {packet: 'refuse', on: {redirect: 'ignores', close: 'returns'}},
    away: {packet: 'refuse', on: {redirect: 'ignores', close: 'gone'}},
    lands: {packet: 'refuse', on: {redirect: 'ignores', close: 'lands'}},
  })
  const {row} = await drainWithLadder(clock, cluster)
  assert.equal(row('back').outcome, 'returned')
  assert.equal(row('away').outcome, 'not-back')
  assert.equal(row('lands').outcome, 'moved')
  assert.equal(row('lands').method, 'close')
  for (const user of ['back', 'away', 'lands']) assert.deepEqual(cluster.methodsFor(user), ['packet', 'redirect', 'close'], user)
  // Without the close rung, the same refusals end not-moved, and nothing is closed.
  const again = ladderCluster(clock, {back: {packet: 'refuse', on: {redirect: 'ignores', close: 'returns'}}})
  const rows = await runTransfers({
    plan: planDrain({sessions: again.list(), targets, loads: new Map()}),
    sender: again.sender,
    directory: again.directory,
    clock,
    options,
    knownJids: new Set(),
    ladder: ladder(again.control, ['packet', 'redirect']),
  })
  assert.equal(rows.records[0].outcome, 'not-moved')
  assert.deepEqual(again.methodsFor('back'), ['packet', 'redirect'])
})

test('a resumed run never repeats a rung a session had: after packet and handover it is watched, then redirected', async () => {
  const clock = fakeClock()
  const cluster = ladderCluster(clock, {
    xmppjs: {capsNode: XMPPJS, resumable: true, packet: 'refuse', on: {handover: 'lands', redirect: 'lands'}},
  })
  const [item] = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  // The interrupted process had refused the packet and handed it over; the client never resumed.
  const at = clock.now() - 5_000
  const record: TransferRecord = {
    jid: item.jid,
    bare: item.bare,
    resource: item.resource,
    from: 'n1',
    target: 'n2',
    sentAt: at,
    ack: ackFromText('error:service-unavailable'),
    ackMs: 10,
    outcome: 'not-moved',
    reconnectedTo: null,
    reconnectedJid: null,
    latencyMs: null,
    method: null,
    rungs: [
      {method: 'packet', at, result: 'refused'},
      {method: 'handover', at, result: 'done'},
    ],
  }
  const watchedFrom = clock.now()
  const {records} = await runTransfers({
    plan: [],
    sender: cluster.sender,
    directory: cluster.directory,
    clock,
    options,
    knownJids: new Set([item.jid]),
    ladder: ladder(cluster.control),
    alreadySent: [{record, item}],
  })
  assert.equal(records.length, 1)
  assert.equal(records[0].outcome, 'moved')
  assert.equal(records[0].method, 'redirect')
  assert.deepEqual(cluster.methodsFor('xmppjs'), ['redirect'], 'neither the packet nor the handover went out again')
  // It was watched for what was left of the handover's window before the redirect.
  const redirect = records[0].rungs.find((rung) => rung.method === 'redirect')!
  assert.ok(redirect.at - watchedFrom >= RUNG_WINDOW_MS.handover - 5_000 - options.pollMs, `redirected ${redirect.at - watchedFrom} ms after the resume`)
})

/** A pacer that lets every move start at once and keeps how each was settled. */
function recordingPacer(clock: {now(): number}) {
  const ends: Array<{id: number; end: MoveEnd; after: number}> = []
  const signals: PaceSignal[] = []
  let next = 0
  const pacer: Pacer = {
    async acquire(): Promise<Move> {
      const id = ++next
      const startedAt = clock.now()
      let settled = false
      return {
        id,
        startedAt,
        settle(end) {
          if (settled) return
          settled = true
          ends.push({id, end, after: clock.now() - startedAt})
        },
      }
    },
    observe(signal) {
      signals.push(signal)
    },
    rate: 1000,
    inFlight: 0,
    history: [],
    stop() {},
  }
  return {pacer, ends, signals}
}

test('the pacer hears of a handover, a redirect or a close when the server took it, not when the client came back: its reconnect delay is no queue', async () => {
  const clock = fakeClock()
  const cluster = ladderCluster(clock, {
    xmppjs: {capsNode: XMPPJS, resumable: true, packet: 'refuse', on: {handover: 'lands'}},
    away: {packet: 'refuse', on: {redirect: 'ignores', close: 'gone'}},
    helper: {packet: 'accept', on: {}},
  })
  const {pacer, ends, signals} = recordingPacer(clock)
  const plan = planDrain({sessions: cluster.list(), targets, loads: new Map()})
  await runTransfers({plan, sender: cluster.sender, directory: cluster.directory, clock, options, knownJids: new Set(), ladder: ladder(cluster.control), pacer})
  const kinds = ends.map(({end}) => end.kind).sort()
  // helper: landed; xmppjs: its refused packet and the handover on one move, handed-off; away:
  // refused packet and redirect on one move, then the close on another, both handed-off.
  assert.deepEqual(kinds, ['handed-off', 'handed-off', 'handed-off', 'landed'])
  // Four paced moves for six rungs: a refusal is no login, it does not count against the pace.
  assert.equal(ends.length, 4)
  // The fake client comes back 1 s after a move: a handed-off move is settled before that.
  for (const {end, after} of ends) if (end.kind === 'handed-off') assert.ok(after < 1_000, `settled ${after} ms after its start`)
  // Never a failure: the session closed and still reconnecting (or gone) is not the targets' doing.
  assert.ok(!ends.some(({end}) => end.kind === 'failed'))
  // The one client that came back (xmppjs, handed over) is reported when seen, from its hand-off:
  // the fake client's 1 s delay and the poll that saw it.
  assert.equal(signals.length, 1, JSON.stringify(signals))
  const [back] = signals
  assert.equal(back.kind, 'reconnected')
  if (back.kind === 'reconnected')
    assert.ok(back.seenAt - back.handedOffAt >= 1_000 && back.seenAt - back.handedOffAt <= 1_000 + 2 * options.pollMs, JSON.stringify(back))
})
