// The XEP-0133 directory over fake nodes shaped like Prosody 0.12 (xep0133-fake-node.ts).
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {AdminSession} from '../../src/connection/admin-session.js'
import {AdHocCommands} from '../../src/adapters/xep0133/ad-hoc-commands.js'
import {NodeLink, type Xep0133Node} from '../../src/adapters/xep0133/node-link.js'
import {Xep0133Control} from '../../src/adapters/xep0133/xep0133-control.js'
import {Xep0133Directory} from '../../src/adapters/xep0133/xep0133-directory.js'
import {AuthError, DirectoryError, EXIT, UnreachableError} from '../../src/errors.js'
import {fakeClock} from './fake-clock.js'
import {FakeNode, type FakeNodeOptions} from './xep0133-fake-node.js'

const NODES: Xep0133Node[] = [
  {name: 'p-1', server: 'p-1', service: 'xmpp://127.0.0.1:27221'},
  {name: 'p-2', server: 'p-2', service: 'xmpp://127.0.0.1:27222'},
]

function setup(options: {p1?: FakeNodeOptions; p2?: FakeNodeOptions; login?: (node: Xep0133Node) => Promise<AdminSession>; perUserLimit?: number} = {}) {
  const clock = fakeClock()
  const fakes = new Map([
    ['p-1', new FakeNode(options.p1)],
    ['p-2', new FakeNode(options.p2)],
  ])
  const logins: string[] = []
  const login =
    options.login ??
    (async (node: Xep0133Node) => {
      logins.push(node.name)
      return fakes.get(node.name)!
    })
  const links = NODES.map((node) => new NodeLink(node, login, clock, 'example.test'))
  const directory = new Xep0133Directory({links, clock, retryForMs: 5_000, perUserLimit: options.perUserLimit})
  const control = new Xep0133Control(links, directory)
  /** What the cluster's close() does for these servers. */
  const close = () => Promise.all(links.map((link) => link.close()))
  return {directory, control, links, close, clock, p1: fakes.get('p-1')!, p2: fakes.get('p-2')!, logins}
}

const rows = (sessions: Array<{jid: string; node: string}>) => sessions.map((session) => `${session.node} ${session.jid}`).sort()

describe('Xep0133Directory: listing', () => {
  test('each node lists its own sessions: full JIDs, IP, the node name as node and server', async () => {
    const {directory, p1, p2} = setup()
    p1.sessions = [
      {bare: 'a@example.test', resource: 'phone', ip: '10.0.0.9'},
      {bare: 'a@example.test', resource: 'laptop'},
    ]
    p2.sessions = [{bare: 'b@example.test', resource: 'rehearsal'}]
    const sessions = await directory.listSessions()
    assert.deepEqual(rows(sessions), ['p-1 a@example.test/laptop', 'p-1 a@example.test/phone', 'p-2 b@example.test/rehearsal'])
    const phone = sessions.find((session) => session.resource === 'phone')!
    assert.deepEqual(phone, {
      jid: 'a@example.test/phone',
      bare: 'a@example.test',
      resource: 'phone',
      node: 'p-1',
      server: 'p-1',
      ip: '10.0.0.9',
      uptimeSeconds: 0,
    })
    // One round trip per node: the filled form goes with `execute`.
    assert.deepEqual(
      p1.requests.map((request) => [request.command, request.action, request.values?.details]),
      [['get-online-users-list', 'execute', ['1']]],
    )
  })

  test('the same full JID on both nodes (a move in progress between independent servers) is two sessions', async () => {
    const {directory, p1, p2} = setup()
    p1.sessions = [{bare: 'a@example.test', resource: 'rehearsal'}]
    p2.sessions = [{bare: 'a@example.test', resource: 'rehearsal'}]
    assert.deepEqual(rows(await directory.listSessions()), ['p-1 a@example.test/rehearsal', 'p-2 a@example.test/rehearsal'])
  })

  test('a server that answers execute with its empty form gets the values fitted to it, with the session id', async () => {
    const {directory, p1} = setup({p1: {oneShot: false}})
    p1.sessions = [{bare: 'a@example.test', resource: 'r'}]
    assert.deepEqual(rows(await directory.listSessions()), ['p-1 a@example.test/r'])
    assert.deepEqual(
      p1.requests.map((request) => [request.action, request.sessionid, request.values?.max_items]),
      [
        ['execute', undefined, ['all']],
        ['complete', 's1', ['none']], // the form offered 25, 50 and none
      ],
    )
  })

  for (const condition of ['bad-request', 'service-unavailable']) {
    test(`a command that refuses a filled execute (${condition}) is asked in two stages, from then on`, async () => {
      const {directory, p1} = setup({p1: {refuseOneShot: condition}})
      p1.sessions = [{bare: 'a@example.test', resource: 'r'}]
      assert.deepEqual(rows(await directory.listSessions()), ['p-1 a@example.test/r'])
      await directory.listSessions()
      assert.deepEqual(
        p1.requests.map((request) => [request.action, request.values === undefined ? 'empty' : 'filled']),
        [
          ['execute', 'filled'],
          ['execute', 'empty'],
          ['complete', 'filled'],
          ['execute', 'empty'],
          ['complete', 'filled'],
        ],
      )
    })
  }

  test('bare JIDs only, with user-stats: the resources come from one user-stats call per user', async () => {
    const {directory, p1} = setup({p1: {details: false}})
    p1.sessions = [
      {bare: 'user1@example.test', resource: 'phone'},
      {bare: 'user1@example.test', resource: 'desk'},
      {bare: 'user2@example.test', resource: 'r'},
    ]
    assert.deepEqual(
      rows(await directory.listSessions()).filter((row) => row.startsWith('p-1')),
      ['p-1 user1@example.test/desk', 'p-1 user1@example.test/phone', 'p-1 user2@example.test/r'],
    )
    assert.deepEqual(
      p1.requests.map((request) => request.command),
      ['get-online-users-list', 'user-stats', 'user-stats'],
    )
  })

  test('bare JIDs only, no user-stats: sessions by bare JID (empty resource), and user-stats is not asked again', async () => {
    const {directory, p1} = setup({p1: {details: false, commands: ['get-online-users-list', 'end-user-session']}})
    p1.sessions = [
      {bare: 'user1@example.test', resource: 'phone'},
      {bare: 'user1@example.test', resource: 'desk'},
    ]
    const [session] = (await directory.listSessions()).filter((row) => row.node === 'p-1')
    assert.deepEqual([session.jid, session.bare, session.resource], ['user1@example.test', 'user1@example.test', ''])
    await directory.listSessions()
    // user-stats refused filled and then empty (two requests), never again.
    assert.deepEqual(
      p1.requests.map((request) => request.command),
      ['get-online-users-list', 'user-stats', 'user-stats', 'get-online-users-list'],
    )
  })

  test('uptime: the time since the directory first listed the session; a session that left and came back starts again', async () => {
    const {directory, p1, clock} = setup()
    p1.sessions = [{bare: 'a@example.test', resource: 'r'}]
    await directory.listSessions()
    clock.advance(7_400)
    p1.sessions.push({bare: 'b@example.test', resource: 'r'})
    const uptimes = () => directory.listSessions().then((sessions) => Object.fromEntries(sessions.map((session) => [session.jid, session.uptimeSeconds])))
    assert.deepEqual(await uptimes(), {'a@example.test/r': 7, 'b@example.test/r': 0})
    p1.sessions = [{bare: 'b@example.test', resource: 'r'}]
    clock.advance(3_000)
    assert.deepEqual(await uptimes(), {'b@example.test/r': 3})
    p1.sessions.push({bare: 'a@example.test', resource: 'r'})
    assert.deepEqual(await uptimes(), {'a@example.test/r': 0, 'b@example.test/r': 3})
  })
})

describe('Xep0133Directory: sessionsOf', () => {
  test('a few users: user-stats per user and node, no listing', async () => {
    const {directory, p1, p2} = setup()
    p1.sessions = [
      {bare: 'user1@example.test', resource: 'old'},
      {bare: 'user9@example.test', resource: 'x'},
    ]
    p2.sessions = [{bare: 'user1@example.test', resource: 'new'}]
    const found = await directory.sessionsOf(['user1@example.test', 'user2@example.test', 'user1@example.test'])
    assert.deepEqual([...found.keys()], ['user1@example.test', 'user2@example.test'])
    assert.deepEqual(rows(found.get('user1@example.test')!), ['p-1 user1@example.test/old', 'p-2 user1@example.test/new'])
    assert.deepEqual(found.get('user2@example.test'), [])
    assert.deepEqual(
      p1.requests.map((request) => [request.command, request.values?.accountjid?.[0]]),
      [
        ['user-stats', 'user1@example.test'],
        ['user-stats', 'user2@example.test'],
      ],
    )
  })

  test('an unknown user (Prosody: an error note) has no sessions, and is no failure', async () => {
    const {directory} = setup()
    assert.deepEqual((await directory.sessionsOf(['nobody@example.test'])).get('nobody@example.test'), [])
  })

  test('many users: one listing per node, filtered', async () => {
    const {directory, p1} = setup({perUserLimit: 2})
    p1.sessions = [
      {bare: 'user1@example.test', resource: 'r'},
      {bare: 'user4@example.test', resource: 'r'},
    ]
    const found = await directory.sessionsOf(['user1@example.test', 'user2@example.test', 'user3@example.test'])
    assert.deepEqual(rows(found.get('user1@example.test')!), ['p-1 user1@example.test/r'])
    assert.equal(found.has('user4@example.test'), false)
    assert.deepEqual(
      p1.requests.map((request) => request.command),
      ['get-online-users-list'],
    )
  })

  test('a node without user-stats is listed instead', async () => {
    const {directory, p2} = setup({p2: {commands: ['get-online-users-list']}})
    p2.sessions = [{bare: 'user1@example.test', resource: 'r'}]
    assert.deepEqual(rows((await directory.sessionsOf(['user1@example.test'])).get('user1@example.test')!), ['p-2 user1@example.test/r'])
    // user-stats: the filled execute and then the empty one are refused; the listing is not affected.
    assert.deepEqual(
      p2.requests.map((request) => [request.command, request.action]),
      [
        ['user-stats', 'execute'],
        ['user-stats', 'execute'],
        ['get-online-users-list', 'execute'],
      ],
    )
  })
})

describe('Xep0133Directory: nodes that fail', () => {
  test('an unreachable node is left out of listings and of listServers', async () => {
    const fake = new FakeNode()
    fake.sessions = [{bare: 'a@example.test', resource: 'r'}]
    const {directory} = setup({
      login: async (node) => {
        if (node.name === 'p-2') throw new UnreachableError('xmpp://127.0.0.1:27222 refused the connection')
        return fake
      },
    })
    assert.deepEqual(rows(await directory.listSessions()), ['p-1 a@example.test/r'])
    assert.deepEqual(await directory.listServers(), [{server: 'p-1', node: 'p-1'}])
  })

  test('no node reachable: retried with backoff, then a DirectoryError (exit 3) naming each node', async () => {
    let tries = 0
    const {directory, clock} = setup({
      login: async (node) => {
        tries++
        throw new UnreachableError(`${node.service} refused the connection`)
      },
    })
    const started = clock.now()
    await assert.rejects(directory.listSessions(), (error: Error) => {
      assert.ok(error instanceof DirectoryError)
      assert.equal(error.exitCode, EXIT.access)
      assert.match(error.message, /no node answered.*p-1: .*27221 refused.*p-2: .*27222 refused/)
      return true
    })
    assert.ok(clock.now() - started <= 5_000)
    assert.ok(tries >= 4, `${tries} logins`)
    assert.deepEqual(await directory.listServers(), [])
  })

  test('a refused login fails the call with its own error (exit 3)', async () => {
    const {directory} = setup({
      login: async () => {
        throw new AuthError('login refused for the admin JID at xmpp://127.0.0.1:27221: not-authorized (wrong password or JID?)')
      },
    })
    await assert.rejects(directory.listSessions(), (error: Error) => error instanceof AuthError && error.exitCode === EXIT.access)
  })

  test('an admin JID that is not an admin on a node: DirectoryError (exit 3) pointing at the admins list', async () => {
    const {directory} = setup({p2: {forbidden: true}})
    await assert.rejects(directory.listSessions(), (error: Error) => {
      assert.ok(error instanceof DirectoryError)
      assert.match(error.message, /^p-2 \(xmpp:\/\/127\.0\.0\.1:27222\): the admin JID may not run get-online-users-list: forbidden.*admins list/)
      return true
    })
  })

  test('a node whose admin stream dropped is left out while the directory logs in again, then is back', async () => {
    const {directory, p1, p2, clock, logins} = setup()
    p2.sessions = [{bare: 'b@example.test', resource: 'r'}]
    await directory.listSessions()
    p2.drop()
    assert.deepEqual(rows(await directory.listSessions()), [])
    await new Promise((resolve) => setImmediate(resolve))
    clock.advance(10)
    assert.deepEqual(rows(await directory.listSessions()), ['p-2 b@example.test/r'])
    assert.deepEqual(logins.sort(), ['p-1', 'p-2', 'p-2'])
    assert.equal(p1.closed, false)
  })
})

describe('Xep0133Control: kick, and closing the links', () => {
  test('kick a full JID: end-user-session only on the node that lists it', async () => {
    const {control, p1, p2} = setup()
    p1.sessions = [{bare: 'user1@example.test', resource: 'old'}]
    p2.sessions = [{bare: 'user1@example.test', resource: 'new'}]
    await control.kick('user1@example.test/old', 'maintenance')
    assert.deepEqual(
      p1.requests.filter((request) => request.command === 'end-user-session').map((request) => request.values?.accountjids),
      [['user1@example.test/old']],
    )
    assert.equal(
      p2.requests.some((request) => request.command === 'end-user-session'),
      false,
    )
    assert.deepEqual(p1.sessions, [])
    assert.equal(p2.sessions.length, 1)
  })

  test('close() closes every node session; a closed directory answers nothing', async () => {
    const {directory, close, p1, p2} = setup()
    await directory.listSessions()
    await close()
    assert.equal(p1.closed && p2.closed, true)
    await assert.rejects(directory.listSessions(), DirectoryError)
  })

  test('usage counts command round trips and the bytes of the answers', async () => {
    const {directory, links} = setup()
    await directory.listSessions()
    const usage = links.reduce((sum, link) => ({calls: sum.calls + link.usage.calls, bytes: sum.bytes + link.usage.bytes}), {calls: 0, bytes: 0})
    assert.equal(usage.calls, 2)
    assert.ok(usage.bytes > 200)
  })
})

describe('AdHocCommands', () => {
  test('commands go to the domain, as <iq type="set"/>', async () => {
    const sent: string[] = []
    const fake = new FakeNode()
    const commands = new AdHocCommands(async (iq) => {
      sent.push(`${iq.attrs.type} ${iq.attrs.to}`)
      return fake.request(iq)
    }, 'example.test')
    const answer = await commands.run('http://jabber.org/protocol/admin#get-online-users-list', {max_items: 'all', details: true})
    assert.equal(answer.status, 'completed')
    assert.deepEqual(sent, ['set example.test'])
  })
})
