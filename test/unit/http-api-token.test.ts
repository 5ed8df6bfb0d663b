// The API's OAuth bearer token: asked for once over HTTP Basic with exactly the run's
// commands, used for every later call of those, renewed before it expires, and HTTP Basic
// whenever the server will not have it — said once in --debug, the token itself never.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {after, test} from 'node:test'

import {RUN_COMMANDS, runCommands} from '../../src/adapters/ejabberd/api-scopes.js'
import {parseGrant, TOKEN_TTL_S, tokenRefusal} from '../../src/adapters/ejabberd/api-token.js'
import {EjabberdApi} from '../../src/adapters/ejabberd/http-api.js'
import {DirectoryError} from '../../src/errors.js'
import {fakeClock} from './fake-clock.js'

const PASSWORD = 'pw-Token-leak-check'
const BASIC = 'Basic ' + Buffer.from(`admin@example.test:${PASSWORD}`).toString('base64')

interface Seen {
  command: string
  auth: 'basic' | 'bearer' | 'none'
  body: Record<string, unknown>
}

/** mod_http_api as ejabberd 23.01 answers it, with `issue` deciding what oauth_issue_token says. */
async function fakeApi(
  issue: {status: number; body: string} | 'grant' = 'grant',
  allowed = (_command: string) => true,
  basicAllowed = (_command: string) => true,
) {
  const seen: Seen[] = []
  const tokens = new Map<string, Set<string>>()
  let issued = 0
  const server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk: Buffer) => (text += chunk.toString()))
    request.on('end', () => {
      const command = request.url!.slice(request.url!.lastIndexOf('/') + 1)
      const header = request.headers.authorization ?? ''
      const body = JSON.parse(text || '{}') as Record<string, unknown>
      seen.push({command, auth: header === BASIC ? 'basic' : header.startsWith('Bearer ') ? 'bearer' : 'none', body})
      const send = (status: number, answer: unknown) => response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(answer))
      if (command === 'oauth_issue_token') {
        if (header !== BASIC) return send(401, {status: 'error', code: 10, message: 'You are not authorized to call this command.'})
        if (issue !== 'grant') return response.writeHead(issue.status, {'content-type': 'application/json'}).end(issue.body)
        const token = `tok${++issued}abcdefghijklmnopqrstuvwxyz`
        tokens.set(token, new Set(String(body.scopes).split(';')))
        return send(200, {token, scopes: String(body.scopes).replace(/;/g, ''), expires_in: `${String(body.ttl)} seconds`})
      }
      if (header.startsWith('Bearer ')) {
        const scopes = tokens.get(header.slice('Bearer '.length))
        if (!scopes) return send(401, {status: 'error', code: 10, message: 'Oauth Token is invalid or expired.'})
        if (!scopes.has(command) || !allowed(command))
          return send(403, {status: 'error', code: 32, message: 'AccessRules: Account does not have the right to perform the operation.'})
      } else if (header !== BASIC) return send(401, {status: 'error', code: 10, message: 'You are not authorized to call this command.'})
      else if (!basicAllowed(command))
        return send(403, {status: 'error', code: 32, message: 'AccessRules: Account does not have the right to perform the operation.'})
      send(200, command === 'list_cluster' ? ['n1@localhost'] : [])
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as {port: number}).port}/api`
  return {url, seen, revoke: () => tokens.clear()}
}

function apiFor(url: string, clock = fakeClock(Date.now())) {
  const debug: string[] = []
  const api = new EjabberdApi({
    urls: [url],
    user: 'admin@example.test',
    password: PASSWORD,
    timeoutMs: 2_000,
    retryForMs: 1_000,
    clock,
    debug: (line) => debug.push(line),
  })
  after(() => api.close())
  return {api, debug, clock}
}

function noSecretIn(lines: string[]) {
  for (const line of lines) {
    assert.doesNotMatch(line, /tok\d+abcdef/, `a token in: ${line}`)
    assert.ok(!line.includes(PASSWORD) && !line.includes(BASIC.slice(6)), `the password in: ${line}`)
  }
}

test('the token is asked for once over Basic, scoped to the commands given, and every later call of those goes with it', async () => {
  const server = await fakeApi()
  const {api, debug} = apiFor(server.url)
  await api.call('list_cluster') // before the run: Basic
  assert.equal(await api.useToken(['list_cluster', 'user_sessions_info']), true)
  await api.call('list_cluster')
  await api.call('user_sessions_info', {user: 'u', host: 'example.test'})
  await api.call('connected_users_info') // not in the token's scopes: Basic
  assert.deepEqual(
    server.seen.map(({command, auth}) => `${command} ${auth}`),
    ['list_cluster basic', 'oauth_issue_token basic', 'list_cluster bearer', 'user_sessions_info bearer', 'connected_users_info basic'],
  )
  assert.deepEqual(server.seen[1].body, {jid: 'admin@example.test', ttl: TOKEN_TTL_S, scopes: 'list_cluster;user_sessions_info'})
  assert.equal(api.usesToken('user_sessions_info'), true)
  assert.equal(api.usesToken('connected_users_info'), false)
  assert.equal(api.usage.calls, 5)
  assert.ok(debug.some((line) => /an OAuth token \(valid 300 s/.test(line)))
  noSecretIn(debug)
})

test('renewed once 80 % of its life has passed, and never used in its last seconds', async () => {
  const server = await fakeApi()
  const {api, clock} = apiFor(server.url)
  await api.useToken(['list_cluster'], {ttlSeconds: 100})
  clock.advance(79_000)
  await api.call('list_cluster')
  clock.advance(2_000) // 81 s: the call goes with the old token, a renewal starts beside it
  await api.call('list_cluster')
  await new Promise((resolve) => setTimeout(resolve, 50))
  clock.advance(16_000) // 97 s: the old one would be in its last 5 s; the new one is fresh
  await api.call('list_cluster')
  const tokens = server.seen.filter(({command}) => command === 'oauth_issue_token')
  assert.equal(tokens.length, 2)
  assert.deepEqual(
    server.seen.filter(({command}) => command === 'list_cluster').map(({auth}) => auth),
    ['bearer', 'bearer', 'bearer'],
  )
})

for (const [what, answer, reason] of [
  ['without the oauth2 library (HTTP 500)', {status: 500, body: '"internal_error"'}, /erlang-p1-oauth2/],
  ['when oauth_access does not allow the admin (badpass)', {status: 400, body: '"badpass"'}, /oauth_access/],
  ['when a scope is no command there (invalid_scope)', {status: 400, body: '"invalid_scope"'}, /invalid_scope/],
] as const) {
  test(`no token ${what}: Basic for every call, said once in --debug with the fix`, async () => {
    const server = await fakeApi(answer)
    const {api, debug} = apiFor(server.url)
    assert.equal(await api.useToken(['list_cluster']), false)
    await api.call('list_cluster')
    await api.call('list_cluster')
    assert.deepEqual(
      server.seen.map(({command, auth}) => `${command} ${auth}`),
      ['oauth_issue_token basic', 'list_cluster basic', 'list_cluster basic'],
    )
    const told = debug.filter((line) => line.includes('no OAuth token'))
    assert.equal(told.length, 1)
    assert.match(told[0], reason)
    noSecretIn(debug)
  })
}

test('a command the server refuses to the token (no api_permissions rule) is made again with Basic, and goes with Basic from then on', async () => {
  const server = await fakeApi('grant', (command) => command !== 'user_sessions_info')
  const {api, debug} = apiFor(server.url)
  await api.useToken(['list_cluster', 'user_sessions_info'])
  assert.deepEqual(await api.call('user_sessions_info', {user: 'u', host: 'example.test'}), [])
  await api.call('user_sessions_info', {user: 'u', host: 'example.test'})
  await api.call('list_cluster')
  assert.deepEqual(
    server.seen.slice(1).map(({command, auth}) => `${command} ${auth}`),
    ['user_sessions_info bearer', 'user_sessions_info basic', 'user_sessions_info basic', 'list_cluster bearer'],
  )
  assert.equal(debug.filter((line) => /user_sessions_info is not allowed with an OAuth token/.test(line)).length, 1)
})

test('a token the server no longer knows (HTTP 401): the call is made again with Basic, and a new token is asked for', async () => {
  const server = await fakeApi()
  const {api} = apiFor(server.url)
  await api.useToken(['list_cluster'])
  server.revoke()
  assert.deepEqual(await api.call('list_cluster'), ['n1@localhost'])
  await new Promise((resolve) => setTimeout(resolve, 50))
  await api.call('list_cluster')
  const calls = server.seen.map(({command, auth}) => `${command} ${auth}`)
  // The call again with Basic and the new token's request go out side by side.
  assert.deepEqual(
    [...calls.slice(0, 2), ...calls.slice(2, 4).sort(), calls[4]],
    ['oauth_issue_token basic', 'list_cluster bearer', 'list_cluster basic', 'oauth_issue_token basic', 'list_cluster bearer'],
  )
  assert.equal(calls.length, 5)
})

test('a refusal that Basic gets too stands: the admin may not call that command at all', async () => {
  const server = await fakeApi(
    'grant',
    () => false,
    (command) => command !== 'kick_session',
  )
  const {api} = apiFor(server.url)
  await api.useToken(['kick_session'])
  await assert.rejects(
    api.call('kick_session', {user: 'u', host: 'example.test', resource: 'r', reason: 'x'}),
    (error: unknown) => error instanceof DirectoryError && /refused kick_session for admin@example.test \(HTTP 403\)/.test(error.message),
  )
  assert.deepEqual(
    server.seen.slice(1).map(({command, auth}) => `${command} ${auth}`),
    ['kick_session bearer', 'kick_session basic'],
  )
})

test('oauth_issue_token answers are read strictly, and a refusal names the fix without echoing the answer', () => {
  assert.equal(parseGrant('{"token":"short"}', 0, 300), undefined)
  assert.equal(parseGrant('{"token":"abc def ghi jkl mno pqr"}', 0, 300), undefined)
  assert.equal(parseGrant('not json', 0, 300), undefined)
  assert.deepEqual(parseGrant('{"token":"abcdefghijklmnopqrstuvwxyz012345"}', 1_000, 300), {
    token: 'abcdefghijklmnopqrstuvwxyz012345',
    expiresAt: 301_000,
    renewAt: 241_000,
  })
  assert.doesNotMatch(tokenRefusal(400, '{"secret":"abcdefghijklmnopqrstuvwxyz012345"}'), /abcdefghij/)
})

test("a run's token names exactly the commands it will call", () => {
  const packets = {methods: ['packet'], kick: false, sendAsDomain: false, cordon: false} as const
  assert.deepEqual(runCommands(packets, false), ['list_cluster', 'connected_users_info', 'user_sessions_info'])
  assert.deepEqual(runCommands({...packets, kick: true, sendAsDomain: true}, false), [
    'list_cluster',
    'connected_users_info',
    'user_sessions_info',
    'kick_session',
    'send_stanza',
  ])
  assert.deepEqual(runCommands({methods: ['packet', 'handover', 'close'], kick: false, sendAsDomain: false, cordon: true}, true), [
    'list_cluster',
    'xtransfer_node_sessions',
    'xtransfer_locate',
    'xtransfer_cordon',
    'xtransfer_handover',
    'xtransfer_close',
  ])
})

test("the lab's api_permissions give a token rule to every command a run may call (test/lab/lib.sh)", () => {
  const lib = readFileSync(new URL('../lab/lib.sh', import.meta.url), 'utf8')
  const listed = /LAB_OAUTH_COMMANDS="([^"]*)"/.exec(lib)?.[1].split(' ')
  assert.deepEqual(listed, [...RUN_COMMANDS])
})
