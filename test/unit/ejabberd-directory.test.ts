// Tracking without the companion: a user_sessions_info call per pending user while few are
// pending, one connected_users_info above perUserLimit(), which depends on the cluster's size
// and on whether calls go with a bearer token (cheap) or HTTP Basic (a PBKDF2 each).
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {EjabberdDirectory, perUserLimit} from '../../src/adapters/ejabberd/ejabberd-directory.js'
import type {EjabberdApi} from '../../src/adapters/ejabberd/http-api.js'

function fakeApi(sessions: number, token: boolean) {
  const calls: string[] = []
  const rows = Array.from({length: sessions}, (_, i) => ({jid: `u${i}@x/r`, node: 'n2@localhost', uptime: 1, resource: 'r'}))
  const api = {
    calls,
    usesToken: (command: string) => token && command === 'user_sessions_info',
    async call(command: string, args: {user?: string} = {}) {
      calls.push(command)
      if (command === 'connected_users_info') return rows
      if (command === 'user_sessions_info') return [{node: 'n2@localhost', uptime: 1, resource: 'r'}]
      throw new Error(`unexpected ${command} ${JSON.stringify(args)}`)
    },
  }
  return api
}

async function pollOf(pending: number, {sessions, token}: {sessions: number; token: boolean}) {
  const api = fakeApi(sessions, token)
  const directory = new EjabberdDirectory({api: api as unknown as EjabberdApi, nodeByServer: new Map([['n2@localhost', 'node-2']]), listingTimeoutMs: 1_000})
  await directory.listSessions() // the plan's listing: the cluster's size
  api.calls.length = 0
  const found = await directory.sessionsOf(Array.from({length: pending}, (_, i) => `u${i}@x`))
  assert.equal(found.get('u0@x')?.[0]?.node, 'node-2')
  return {listings: api.calls.filter((c) => c === 'connected_users_info').length, perUser: api.calls.filter((c) => c === 'user_sessions_info').length}
}

test('with a token, per-user calls go on much longer before one listing pays', async () => {
  const limit = perUserLimit(1_000, true)
  assert.ok(limit > perUserLimit(1_000, false) * 3, `${limit} vs ${perUserLimit(1_000, false)}`)
  assert.deepEqual(await pollOf(limit, {sessions: 1_000, token: true}), {listings: 0, perUser: limit})
  assert.deepEqual(await pollOf(limit + 1, {sessions: 1_000, token: true}), {listings: 1, perUser: 0})
})

test('with HTTP Basic, a listing takes over after a few dozen pending users', async () => {
  const limit = perUserLimit(1_000, false)
  assert.deepEqual(await pollOf(limit, {sessions: 1_000, token: false}), {listings: 0, perUser: limit})
  assert.deepEqual(await pollOf(limit + 1, {sessions: 1_000, token: false}), {listings: 1, perUser: 0})
})

test('the threshold grows with the cluster, and a tiny cluster still gets a few per-user calls', () => {
  assert.ok(perUserLimit(5_000, true) > perUserLimit(1_000, true))
  assert.ok(perUserLimit(5_000, false) > perUserLimit(1_000, false))
  assert.ok(perUserLimit(0, true) >= 8)
  assert.ok(perUserLimit(0, false) >= 8)
})

test('planning a drain without the companion: sessionsOn, sessionCounts and the moving users cost one listing', async () => {
  const api = fakeApi(300, false)
  const directory = new EjabberdDirectory({api: api as unknown as EjabberdApi, nodeByServer: new Map([['n2@localhost', 'node-2']]), listingTimeoutMs: 1_000})
  const on2 = await directory.sessionsOn('node-2')
  assert.equal(on2.length, 300)
  assert.deepEqual([...(await directory.sessionCounts())], [['node-2', 300]])
  const moving = await directory.sessionsOf(on2.map((session) => session.bare))
  assert.equal(moving.get('u299@x')?.[0]?.node, 'node-2')
  assert.deepEqual(api.calls, ['connected_users_info'])
  // Once used, the planning listing is not served again: tracking polls see the cluster as it is.
  await directory.sessionsOf(on2.map((session) => session.bare))
  assert.deepEqual(api.calls, ['connected_users_info', 'connected_users_info'])
})

test('with the companion: the drained node lists itself and each node counts its own sessions, by their configured names', async () => {
  const calls: Array<[string, unknown]> = []
  const api = {
    usesToken: () => true,
    async call(command: string, args: Record<string, unknown> = {}) {
      calls.push([command, args])
      if (command === 'xtransfer_version') return {version: 2, node: 'n1@localhost'}
      if (command === 'xtransfer_node_sessions')
        return {
          result: 'ok',
          reason: '',
          node: args.node,
          text: '',
          sessions: [{jid: 'a@x/r', ip: '127.0.0.1', port: 1, uptime: 3, sm: 'active', resumable: 'true', caps_node: '', caps_ver: ''}],
        }
      if (command === 'xtransfer_session_counts')
        return [
          {node: 'n1@localhost', sessions: 5, reason: ''},
          {node: 'n2@localhost', sessions: 7, reason: ''},
          {node: 'n3@localhost', sessions: -1, reason: 'node-down'},
        ]
      throw new Error(`unexpected ${command}`)
    },
  }
  const {EjabberdCompanion} = await import('../../src/adapters/ejabberd/ejabberd-companion.js')
  const companion = new EjabberdCompanion(api as unknown as EjabberdApi)
  const directory = new EjabberdDirectory({
    api: api as unknown as EjabberdApi,
    nodeByServer: new Map([
      ['n1@localhost', 'node-1'],
      ['n2@localhost', 'node-2'],
    ]),
    listingTimeoutMs: 1_000,
    companion: {client: companion, present: async () => true},
  })
  const on2 = await directory.sessionsOn('node-2')
  assert.deepEqual(
    on2.map((session) => [session.jid, session.node, session.server, session.resumable]),
    [['a@x/r', 'node-2', 'n2@localhost', true]],
  )
  assert.deepEqual(
    [...(await directory.sessionCounts())],
    [
      ['node-1', 5],
      ['node-2', 7],
    ],
  )
  assert.deepEqual(
    calls.map(([command, args]) => [command, args]),
    [
      ['xtransfer_node_sessions', {node: 'n2@localhost'}],
      ['xtransfer_session_counts', {}],
    ],
  )
})
