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
