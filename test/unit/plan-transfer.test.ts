// The transfer service's plan, over an in-memory cluster and real journals in a temp dir.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {parseConfig} from '../../src/config/load-config.js'
import {UsageError} from '../../src/errors.js'
import {openJournal} from '../../src/journal/journal-writer.js'
import {runsIn} from '../../src/journal/runs-dir.js'
import type {SessionDirectory} from '../../src/model/directory.js'
import type {SessionInfo} from '../../src/model/session.js'
import {checkRequest, countsNow, planTransfer, type TransferRequest} from '../../src/operations/plan-transfer.js'
import {testTempDir} from '../support/temp-dir.js'

const config = parseConfig(`
domain: example.test
admin: {jid: admin@example.test, service: 'xmpp://127.0.0.1:5222'}
directory: {type: ejabberd, api: 'http://127.0.0.1:5281/api'}
nodes:
  node-1: {address: '10.0.0.1:5222', server: e1@h}
  node-2: {address: '10.0.0.2:5222', server: e2@h}
  node-3: {address: '10.0.0.3:5222', server: e3@h}
  node-4: {address: '10.0.0.4:5222', server: e4@h}
`)

function session(user: string, node: string, resource = 'r'): SessionInfo {
  return {jid: `${user}@example.test/${resource}`, bare: `${user}@example.test`, resource, node, server: config.nodes[node].server, uptimeSeconds: 100}
}

/** A cluster that lists these sessions and these member servers. */
function cluster(sessions: SessionInfo[], members = ['e1@h', 'e2@h', 'e3@h']): SessionDirectory {
  return {
    listSessions: async () => sessions,
    sessionsOf: async (bares) => new Map(bares.map((bare) => [bare, sessions.filter((s) => s.bare === bare)])),
    listServers: async () => members.map((server) => ({server, node: undefined})),
  }
}

const noControl = {
  request: async () => {
    throw new Error('no packet may go out while planning')
  },
  abilities: async () => ({sendAsDomain: true, kick: true, handover: true, redirect: true, close: true, cordon: true}),
}

async function plan(request: TransferRequest, directory: SessionDirectory, stateDir = testTempDir('xt-plan-')) {
  return planTransfer(checkRequest(config, request, {stateDir}), {config, directory, control: noControl, stateDir})
}

describe('targets the cluster does not list are never planned', () => {
  test('drain: node-4 (configured, not in the cluster) gets nothing, and the note says why', async () => {
    const sessions = Array.from({length: 9}, (_, i) => session(`u${i}`, 'node-1'))
    const drained = await plan({command: 'drain', source: 'node-1'}, cluster(sessions))
    assert.deepEqual([...drained.targets].sort(), ['node-2', 'node-3'])
    assert.deepEqual(new Set(drained.items.map((item) => item.target.name)), new Set(['node-2', 'node-3']))
    assert.match(drained.notes.join('; '), /node-4 is not in the cluster now \(e4@h not listed\): not a target/)
    assert.deepEqual([...drained.up].sort(), ['node-1', 'node-2', 'node-3'])
  })

  test('drain --to a node that is down: refused before anything is sent', async () => {
    await assert.rejects(
      plan({command: 'drain', source: 'node-1', to: ['node-4']}, cluster([session('a', 'node-1')])),
      (error: Error) => error instanceof UsageError && /no node to drain node-1 to: node-4 is not in the cluster/.test(error.message),
    )
  })

  test('move to a node that is down: refused', async () => {
    await assert.rejects(
      plan({command: 'move', jids: ['a@example.test'], to: 'node-3'}, cluster([session('a', 'node-1')], ['e1@h', 'e2@h'])),
      /node-3 is not in the cluster now/,
    )
  })

  test('--to that is not a node needs a port, with the nearest node name', () => {
    assert.throws(
      () => checkRequest(config, {command: 'move', jids: ['a@example.test'], to: 'node-9'}, {stateDir: '/nonexistent'}),
      /--to "node-9" is not a configured node \(did you mean "node-1"\?\).*give its port: node-9:5222/,
    )
    assert.doesNotThrow(() => checkRequest(config, {command: 'move', jids: ['a@example.test'], to: 'xmpp.example.net:5222'}, {stateDir: '/nonexistent'}))
  })
})

describe('resume plans again from what the directory says now', () => {
  /** A drain of node-2 to node-3 that was killed: u1 settled, u2 sent (not settled), u3..u5 never sent. */
  function killedDrain(stateDir: string, startedAt = 1_000) {
    const journal = openJournal(runsIn(stateDir), 'RUN-A')
    journal.append({
      type: 'run',
      v: 1,
      id: 'RUN-A',
      command: 'drain',
      source: 'node-2',
      targets: ['node-3'],
      startedAt,
      settings: {namespace: 'srvxfr', from: 'admin', rate: 50, concurrency: 10, waitMs: 5000, ackTimeoutMs: 1000, pollMs: 250, fallback: 'none'},
    })
    for (const n of [1, 2, 3, 4, 5]) {
      journal.append({
        type: 'planned',
        jid: `u${n}@example.test/r`,
        bare: `u${n}@example.test`,
        resource: 'r',
        from: 'node-2',
        target: 'node-3',
        address: '10.0.0.3:5222',
        isNode: true,
      })
    }
    journal.append({type: 'sending', jid: 'u1@example.test/r', at: startedAt + 10})
    journal.append({type: 'sent', jid: 'u1@example.test/r', at: startedAt + 10, ack: 'result', ackMs: 3})
    journal.append({type: 'settled', jid: 'u1@example.test/r', outcome: 'moved', reconnectedTo: 'node-3', reconnectedJid: 'u1@example.test/r', latencyMs: 200})
    journal.append({type: 'sending', jid: 'u2@example.test/r', at: startedAt + 20})
    journal.close()
  }

  test("only sessions still on the drained node are sent, to the run's own targets; the rest are left alone and said so", async () => {
    const stateDir = testTempDir('xt-resume-')
    killedDrain(stateDir)
    // Since: u3 went to node-1 by itself, u4 went offline, u5 is still on node-2; u6 appeared on node-2.
    const now = [session('u1', 'node-3'), session('u2', 'node-2'), session('u3', 'node-1'), session('u5', 'node-2'), session('u6', 'node-2')]
    const resumed = await plan({command: 'resume', runId: 'RUN-A'}, cluster(now), stateDir)
    assert.deepEqual(resumed.items.map((item) => `${item.bare} ${item.from}->${item.target.name}`).sort(), [
      'u5@example.test node-2->node-3',
      'u6@example.test node-2->node-3',
    ])
    assert.deepEqual(
      resumed.resumed!.carriedOver.inFlight.map(({record}) => record.jid),
      ['u2@example.test/r'],
    )
    assert.deepEqual(
      resumed.resumed!.resendable.map((item) => item.jid),
      ['u2@example.test/r'],
    )
    const notes = resumed.notes.join('; ')
    assert.match(notes, /1 session\(s\) planned by the run are on another node now: left alone/)
    assert.match(notes, /1 session\(s\) planned by the run are not online now: left out/)
    assert.match(notes, /1 session\(s\) appeared on node-2 since/)
  })

  test("the run's targets are checked again: a target that is down now gets nothing", async () => {
    const stateDir = testTempDir('xt-resume-')
    killedDrain(stateDir)
    const now = [session('u3', 'node-2'), session('u4', 'node-2'), session('u5', 'node-2')]
    const resumed = await plan({command: 'resume', runId: 'RUN-A'}, cluster(now, ['e1@h', 'e2@h']), stateDir)
    assert.deepEqual(resumed.items, [])
    assert.match(resumed.notes.join('; '), /node-3 is not in the cluster now.*3 session\(s\) have no target of the run in the cluster now: not sent/)
  })

  test('a run that a later run took sessions from is refused (superseded), before any directory call', async () => {
    const stateDir = testTempDir('xt-resume-')
    killedDrain(stateDir)
    const later = openJournal(runsIn(stateDir), 'RUN-B')
    later.append({
      type: 'run',
      v: 1,
      id: 'RUN-B',
      command: 'drain',
      source: 'node-2',
      targets: ['node-1'],
      startedAt: 5_000,
      settings: {namespace: 'srvxfr', from: 'admin', rate: 50, concurrency: 10, waitMs: 5000, ackTimeoutMs: 1000, pollMs: 250, fallback: 'none'},
    })
    later.append({
      type: 'planned',
      jid: 'u4@example.test/r',
      bare: 'u4@example.test',
      resource: 'r',
      from: 'node-2',
      target: 'node-1',
      address: '10.0.0.1:5222',
      isNode: true,
    })
    later.append({type: 'finished', at: 6_000, exitCode: 0})
    later.close()
    const untouchable: SessionDirectory = {
      listSessions: async () => assert.fail('listed'),
      sessionsOf: async () => assert.fail('looked up'),
      listServers: async () => assert.fail('listed servers'),
    }
    await assert.rejects(
      plan({command: 'resume', runId: 'RUN-A'}, untouchable, stateDir),
      (error: Error) =>
        error instanceof UsageError &&
        /run RUN-A was superseded by run RUN-B \(a drain started .*\) which took 1 of its sessions: start a new run instead/.test(error.message),
    )
  })

  test('a run that failed before sending is finished: not resumable, with its exit code', () => {
    const stateDir = testTempDir('xt-resume-')
    killedDrain(stateDir)
    const journal = openJournal(runsIn(stateDir), 'RUN-A')
    journal.append({type: 'finished', at: 9_000, exitCode: 5, reason: 'unknown host in xmpp://nowhere.invalid:5222 (ENOTFOUND)'})
    journal.close()
    assert.throws(() => checkRequest(config, {command: 'resume', runId: 'RUN-A'}, {stateDir}), /run RUN-A finished already \(exit 5\)/)
  })
})

describe('a drain planned from one node, when the directory can list one node', () => {
  // node-1 is drained; a2 also has a session on node-3 (its phone); node-2 is loaded more than node-3.
  const sessions = [
    session('a1', 'node-1'),
    session('a2', 'node-1'),
    session('a2', 'node-3', 'phone'),
    session('a3', 'node-1'),
    session('b1', 'node-2'),
    session('b2', 'node-2'),
    session('b3', 'node-2'),
    session('c1', 'node-3'),
    {...session('admin', 'node-1'), jid: 'admin@example.test/xtransfer', bare: 'admin@example.test', resource: 'xtransfer'},
  ]
  /** The cluster above, with the optional per-node calls, counting what is asked of it. */
  function perNodeCluster() {
    const asked: string[] = []
    const directory: SessionDirectory = {
      listSessions: async () => {
        asked.push('listSessions')
        return sessions
      },
      sessionsOf: async (bares) => {
        asked.push(`sessionsOf ${[...bares].sort().join(',')}`)
        return new Map(bares.map((bare) => [bare, sessions.filter((s) => s.bare === bare)]))
      },
      listServers: async () => ['e1@h', 'e2@h', 'e3@h'].map((server) => ({server, node: undefined})),
      sessionsOn: async (node) => {
        asked.push(`sessionsOn ${node}`)
        return sessions.filter((s) => s.node === node)
      },
      sessionCounts: async () => {
        asked.push('sessionCounts')
        const counts = new Map<string, number>()
        for (const s of sessions) counts.set(s.node, (counts.get(s.node) ?? 0) + 1)
        return counts
      },
    }
    return {directory, asked}
  }

  test('the same plan as from the whole listing, and the cluster is never listed', async () => {
    const {directory, asked} = perNodeCluster()
    const fromNode = await plan({command: 'drain', source: 'node-1'}, directory)
    const fromListing = await plan({command: 'drain', source: 'node-1'}, cluster(sessions))
    assert.deepEqual(asked, ['sessionsOn node-1', 'sessionCounts', 'sessionsOf a1@example.test,a2@example.test,a3@example.test'])
    assert.deepEqual(
      fromNode.items.map((item) => [item.jid, item.target.name]),
      fromListing.items.map((item) => [item.jid, item.target.name]),
    )
    // node-3 holds 2, node-2 holds 3: the first goes to node-3, then they take turns (a tie goes to node-2, listed first).
    assert.deepEqual(
      fromNode.items.map((item) => [item.jid, item.target.name]),
      [
        ['a1@example.test/r', 'node-3'],
        ['a2@example.test/r', 'node-2'],
        ['a3@example.test/r', 'node-3'],
      ],
    )
    assert.deepEqual([...fromNode.knownJids].sort(), [...fromListing.knownJids].sort())
  })

  test("the known JIDs are the moving users' sessions, on every node, and nobody else's", async () => {
    const {directory} = perNodeCluster()
    for (const directoryUsed of [directory, cluster(sessions)]) {
      const drained = await plan({command: 'drain', source: 'node-1'}, directoryUsed)
      assert.deepEqual([...drained.knownJids].sort(), ['a1@example.test/r', 'a2@example.test/phone', 'a2@example.test/r', 'a3@example.test/r'])
    }
  })

  test('a rebalance lists one node at a time and plans what it plans from the whole listing', async () => {
    const {directory, asked} = perNodeCluster()
    for (const request of [{command: 'rebalance', to: 'node-3'}, {command: 'rebalance'}, {command: 'rebalance', to: 'node-3', count: 2}] as const) {
      asked.length = 0
      const fromNodes = await plan(request, directory)
      const fromListing = await plan(request, cluster(sessions))
      assert.ok(!asked.includes('listSessions'), asked.join(', '))
      assert.deepEqual(
        fromNodes.items.map((item) => [item.jid, item.from, item.target.name]),
        fromListing.items.map((item) => [item.jid, item.from, item.target.name]),
        JSON.stringify(request),
      )
      assert.deepEqual(fromNodes.balance, fromListing.balance)
      assert.deepEqual([...fromNodes.knownJids].sort(), [...fromListing.knownJids].sort())
    }
    // The last request: node-1 and node-2 (3 each, the admin's left out) must each give one; node-1,
    // whose first JID comes first, gives first, each its last session by JID.
    asked.length = 0
    const toNode3 = await plan({command: 'rebalance', to: 'node-3', count: 2}, directory)
    assert.deepEqual(
      toNode3.items.map((item) => [item.jid, item.from]),
      [
        ['a3@example.test/r', 'node-1'],
        ['b3@example.test/r', 'node-2'],
      ],
    )
    assert.deepEqual(
      asked.filter((call) => call.startsWith('sessionsOn')),
      ['sessionsOn node-1', 'sessionsOn node-2', 'sessionsOn node-3'],
    )
  })

  test('an empty node: nothing planned, nobody looked up', async () => {
    const {directory, asked} = perNodeCluster()
    const drained = await plan({command: 'drain', source: 'node-4'}, directory)
    assert.equal(drained.items.length, 0)
    assert.deepEqual(asked, ['sessionsOn node-4', 'sessionCounts'])
  })
})

describe('sessions per node after a rebalance', () => {
  const sessions = [
    session('a', 'node-1'),
    session('b', 'node-1'),
    session('c', 'node-2'),
    {...session('admin', 'node-2'), jid: 'admin@example.test/xtransfer', bare: 'admin@example.test', resource: 'xtransfer'},
    {...session('d', 'node-2'), node: 'elsewhere@h'},
  ]
  test("from the directory's counts when it has them, the admin's session left out, as from the listing", async () => {
    let listed = 0
    const counted: SessionDirectory = {
      ...cluster(sessions),
      listSessions: async () => {
        listed++
        return sessions
      },
      sessionCounts: async () =>
        new Map([
          ['node-1', 2],
          ['node-2', 2],
          ['elsewhere@h', 1],
        ]),
    }
    const expected = {'node-1': 2, 'node-2': 1, 'node-3': 0, 'node-4': 0}
    assert.deepEqual(Object.fromEntries(await countsNow(config, counted)), expected)
    assert.equal(listed, 0)
    assert.deepEqual(Object.fromEntries(await countsNow(config, cluster(sessions))), expected)
  })
})
