import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {xml} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {followTransfers, OldSessionKeptError, TlsDowngradeError, type Transferred, type TransferFailed, type TransferRefused} from '../../src/client/index.js'
import {reconnectIsActive} from '../../src/client/xmpp-internals.js'
import {checkSender, normaliseAdmins} from '../../src/client/trust.js'
import {NS_CXFR, NS_DISCO_INFO, NS_SRVXFR, NS_STANZAS} from '../../src/protocol/index.js'
import {errorCondition, type MockClient, mockClient, mockClientFactory} from '../support/mock-client.js'
import {steppingTimer} from '../support/stepping-timer.js'

const DOMAIN = 'example.test'
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
/** Where these tests send sessions (the option replaces the default, names under the domain). */
const TEST_SERVERS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '192.0.2.1', '[2001:db8::7]', '*.example.test']

/** The shared mock (test/support/mock-client.ts), named for the shared `log`. */
function fake(log: string[], name: string, service = 'xmpp://127.0.0.1:5222', address = `user1@${DOMAIN}/phone`): MockClient {
  return mockClient({log, name, service, jid: address})
}

function transferIq(from: string | undefined, server: string, {id = 'x1', ns = NS_SRVXFR, domain = DOMAIN} = {}): Element {
  return xml('iq', {type: 'set', id, from, to: `user1@${DOMAIN}/phone`}, xml('query', {xmlns: ns}, xml('domain', {}, domain), xml('server', {}, server)))
}

/** Waits (on the event loop, not the clock) until `probe` returns something. */
async function until<T>(probe: () => T | undefined, what = 'condition', ms = 3000): Promise<T> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const value = probe()
    if (value) return value
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function answerTo(client: MockClient, id: string): Promise<Element> {
  return until(
    () => client.sent.find((el) => el.name === 'iq' && el.attrs.id === id && (el.attrs.type === 'result' || el.attrs.type === 'error')),
    `the answer to ${id}`,
  )
}

/** A helper on a fake client whose connect() hands out fresh fakes (or whatever `open` says). */
function setup(
  options: {
    open?: (service: string) => Promise<MockClient>
    mode?: 'make-before-break' | 'break-before-make'
    withConnect?: boolean
    timeout?: number
    minSessionAge?: number
    conflictWait?: number
  } = {},
) {
  const log: string[] = []
  const old = fake(log, 'old')
  const connects: Array<{service: string; domain: string; resource: string; signal: AbortSignal}> = []
  let count = 0
  const open =
    options.open ??
    (async (service: string) => {
      const fresh = fake(log, `new${++count}`, service)
      return fresh
    })
  const helper = followTransfers(old, {
    mode: options.mode,
    trustedAdmins: ['admin@example.test'],
    allowedServers: TEST_SERVERS,
    timeout: options.timeout ?? 1000,
    minSessionAge: options.minSessionAge ?? 0,
    conflictWait: options.conflictWait ?? 10,
    ...(options.withConnect === false
      ? {}
      : {
          connect: async (service: string, domain: string, context: {resource: string; signal: AbortSignal}) => {
            log.push(`connect ${service}`)
            connects.push({service, domain, resource: context.resource, signal: context.signal})
            return await open(service)
          },
        }),
  })
  const events = {transferred: [] as Transferred[], failed: [] as TransferFailed[], refused: [] as TransferRefused[]}
  helper.on('transferred', (event) => events.transferred.push(event))
  helper.on('transfer-failed', (event) => events.failed.push(event))
  helper.on('transfer-refused', (event) => events.refused.push(event))
  return {log, old, helper, connects, events}
}

describe('trust', () => {
  const admins = normaliseAdmins(['Admin@Example.test', 'ops@other.test'])
  test('the bare domain and trusted admins (any resource) are obeyed', () => {
    assert.equal(checkSender('example.test', DOMAIN, admins).ok, true)
    assert.equal(checkSender('EXAMPLE.test', DOMAIN, admins).ok, true)
    assert.equal(checkSender('admin@example.test/console', DOMAIN, admins).ok, true)
    assert.equal(checkSender('ops@other.test', DOMAIN, admins).ok, true)
  })
  test('other users, other domains, a domain with a resource, no sender: refused', () => {
    for (const from of ['user2@example.test/x', 'evil.test', 'admin@evil.test', 'example.test/component', undefined, '@@']) {
      assert.equal(checkSender(from, DOMAIN, admins).ok, false, String(from))
    }
  })
  test('a bad trusted admin fails at setup', () => {
    assert.throws(() => normaliseAdmins(['@']), /trustedAdmins/)
  })
})

describe('followTransfers on a fake client', () => {
  test('a packet from the own domain: result first, then the move (make-before-break)', async () => {
    const {log, old, helper, connects, events} = setup()
    old.receive(transferIq(DOMAIN, '127.0.0.2:5223'))
    const answer = await answerTo(old, 'x1')
    assert.equal(answer.attrs.type, 'result')
    assert.equal(answer.attrs.to, DOMAIN)
    assert.equal(answer.children.length, 0)
    await until(() => events.transferred[0], 'transferred')
    assert.deepEqual(
      connects.map(({service, domain, resource}) => ({service, domain, resource})),
      [{service: 'xmpp://127.0.0.2:5223', domain: DOMAIN, resource: 'phone'}],
    )
    assert.ok(log.indexOf('old send iq result x1') < log.indexOf('connect xmpp://127.0.0.2:5223'), log.join('\n'))
    const event = events.transferred[0]
    assert.equal(helper.client, event.client)
    assert.notEqual(event.client, old)
    assert.equal(event.previous, old)
    assert.equal(event.oldStream, 'closed')
    assert.equal(event.from.service, 'xmpp://127.0.0.1:5222')
    assert.equal(event.to.service, 'xmpp://127.0.0.2:5223')
    assert.equal(old.status, 'offline')
    assert.equal(helper.moving, false)
  })

  test('the move waits until the server has read the result (a ping answered after it)', async () => {
    const {log, old, connects} = setup()
    old.answerPings = false
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    await answerTo(old, 'x1')
    const ping = await until(() => old.sent.find((el) => el.getChild('ping', 'urn:xmpp:ping')), 'the ping')
    await new Promise((resolve) => setTimeout(resolve, 30))
    assert.equal(connects.length, 0, 'no connect before the ping is answered')
    old.receive(xml('iq', {type: 'result', id: ping.attrs.id, from: DOMAIN}))
    await until(() => connects.length === 1, 'connect')
    assert.deepEqual(log.slice(0, 3), ['old send iq result x1', `old send iq get ${ping.attrs.id}`, 'connect xmpp://127.0.0.2:5222'])
  })

  test('a trusted admin is obeyed; the urn:xmpp:cxfr namespace too', async () => {
    const {old, events} = setup()
    old.receive(transferIq('admin@example.test/cli', 'node2.example.test', {ns: NS_CXFR}))
    assert.equal((await answerTo(old, 'x1')).attrs.type, 'result')
    await until(() => events.transferred[0], 'transferred')
    assert.equal(events.transferred[0].to.service, 'xmpp://node2.example.test:5222')
    assert.equal(events.transferred[0].namespace, NS_CXFR)
  })

  for (const from of ['user2@example.test/laptop', 'evil.test', 'admin@evil.test/cli']) {
    test(`a packet from ${from} is forbidden and changes nothing`, async () => {
      const {old, helper, connects, events} = setup()
      old.receive(transferIq(from, '127.0.0.2'))
      const answer = await answerTo(old, 'x1')
      assert.equal(answer.attrs.type, 'error')
      assert.equal(answer.getChild('error')?.attrs.type, 'auth')
      assert.equal(errorCondition(answer), 'forbidden')
      assert.equal(connects.length, 0)
      assert.equal(helper.client, old)
      assert.equal(helper.moving, false)
      assert.deepEqual(
        events.refused.map((event) => event.condition),
        ['forbidden'],
      )
      assert.equal(events.refused[0].from, from)
    })
  }

  test('a bad <server> is a bad-request (modify), nothing moves', async () => {
    const {old, connects, events} = setup()
    old.receive(transferIq(DOMAIN, 'not a host!'))
    const answer = await answerTo(old, 'x1')
    assert.equal(answer.getChild('error')?.attrs.type, 'modify')
    assert.equal(errorCondition(answer), 'bad-request')
    assert.match(answer.getChild('error')?.getChildText('text', NS_STANZAS) ?? '', /server/)
    assert.equal(connects.length, 0)
    assert.equal(events.refused[0].condition, 'bad-request')
  })

  test('disco#info advertises both namespaces and disco#info itself', async () => {
    const {old} = setup()
    old.receive(xml('iq', {type: 'get', id: 'd1', from: `user2@${DOMAIN}/x`}, xml('query', {xmlns: NS_DISCO_INFO})))
    const answer = await answerTo(old, 'd1')
    assert.equal(answer.attrs.type, 'result')
    const query = answer.getChild('query', NS_DISCO_INFO)
    assert.ok(query?.getChild('identity'))
    assert.deepEqual(
      query
        ?.getChildren('feature')
        .map((feature) => feature.attrs.var)
        .sort(),
      [NS_DISCO_INFO, NS_CXFR, NS_SRVXFR].sort(),
    )
  })

  test('advertise: false leaves disco#info alone', async () => {
    const log: string[] = []
    const c = fake(log, 'c')
    followTransfers(c, {advertise: false, credentials: {password: 'x'}})
    c.receive(xml('iq', {type: 'get', id: 'd1', from: DOMAIN}, xml('query', {xmlns: NS_DISCO_INFO})))
    assert.equal(errorCondition(await answerTo(c, 'd1')), 'service-unavailable')
  })

  test('a second packet during a transfer: result for the same target, conflict for another; acted on once', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const log: string[] = []
    const {old, connects, events} = setup({
      open: async (service) => {
        await gate
        return fake(log, 'new', service)
      },
    })
    old.receive(transferIq(DOMAIN, '127.0.0.2', {id: 'a'}))
    await answerTo(old, 'a')
    await until(() => connects.length === 1, 'connect')
    old.receive(transferIq(DOMAIN, '127.0.0.2:5222', {id: 'b'}))
    old.receive(transferIq(DOMAIN, '127.0.0.3', {id: 'c'}))
    assert.equal((await answerTo(old, 'b')).attrs.type, 'result')
    const conflict = await answerTo(old, 'c')
    assert.equal(errorCondition(conflict), 'conflict')
    assert.equal(conflict.getChild('error')?.attrs.type, 'cancel')
    release()
    await until(() => events.transferred[0], 'transferred')
    assert.equal(connects.length, 1)
    assert.equal(events.transferred.length, 1)
    assert.deepEqual(
      events.refused.map((event) => event.condition),
      ['conflict'],
    )
  })

  test("the old stream's <conflict/> is the expected end, and reconnect is off during the move", async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const log: string[] = []
    const {old, events} = setup({
      open: async (service) => {
        await gate
        return fake(log, 'new', service)
      },
    })
    assert.equal(reconnectIsActive(old), true)
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    await answerTo(old, 'x1')
    await until(() => !reconnectIsActive(old), 'reconnect stopped')
    // No 'error' listener of the app's: without the helper's this would throw.
    old.emit('error', Object.assign(new Error('conflict'), {name: 'StreamError', condition: 'conflict'}))
    old._status('disconnect')
    release()
    const event = await until(() => events.transferred[0], 'transferred')
    assert.equal(event.oldStream, 'conflict')
    assert.equal(reconnectIsActive(old), false)
    assert.ok(!log.includes('old stop'), 'the helper does not close a stream the server closed')
  })

  test('the new client gets the handlers (can be moved again); the old one answers no more', async () => {
    const {old, helper, events} = setup()
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    const first = await until(() => events.transferred[0], 'first move')
    const fresh = first.client as MockClient
    fresh.receive(transferIq(DOMAIN, '127.0.0.3', {id: 'y'}))
    assert.equal((await answerTo(fresh, 'y')).attrs.type, 'result')
    await until(() => events.transferred[1], 'second move')
    assert.equal(events.transferred[1].from.service, 'xmpp://127.0.0.2:5222')
    assert.equal(events.transferred[1].to.service, 'xmpp://127.0.0.3:5222')
    assert.equal(helper.client, events.transferred[1].client)
    old.receive(transferIq(DOMAIN, '127.0.0.4', {id: 'z'}))
    assert.equal(errorCondition(await answerTo(old, 'z')), 'service-unavailable')
  })

  test('a failed new connection keeps the old session and emits transfer-failed', async () => {
    const {old, helper, events} = setup({
      open: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'})
      },
    })
    old.receive(transferIq(DOMAIN, '127.0.0.1:1'))
    const failed = await until(() => events.failed[0], 'transfer-failed')
    assert.match(failed.error.message, /ECONNREFUSED/)
    assert.equal(failed.client, old)
    assert.equal(failed.online, true)
    assert.equal(helper.client, old)
    assert.equal(old.status, 'online')
    assert.equal(reconnectIsActive(old), true, 'reconnect is back on')
    assert.equal(events.transferred.length, 0)
    // And it can be transferred again.
    old.receive(transferIq(DOMAIN, '127.0.0.1:1', {id: 'again'}))
    assert.equal((await answerTo(old, 'again')).attrs.type, 'result')
  })

  test('a connect that never finishes times out; its signal is aborted', async () => {
    const {old, connects, events} = setup({timeout: 30, open: () => new Promise(() => {})})
    old.receive(transferIq(DOMAIN, '192.0.2.1'))
    const failed = await until(() => events.failed[0], 'transfer-failed')
    assert.match(failed.error.message, /within 30 ms/)
    assert.equal(connects[0].signal.aborted, true)
    assert.equal(old.status, 'online')
  })

  test('the server keeps the old session (conflict on the new stream): one more try, in a later second', async () => {
    const log: string[] = []
    let opened = 0
    const kicked: MockClient[] = []
    const old = fake(log, 'old')
    const timer = steppingTimer()
    const helper = followTransfers(old, {
      minSessionAge: 0,
      timer,
      allowedServers: TEST_SERVERS,
      connect: async (service) => {
        const fresh = fake(log, `new${++opened}`, service)
        if (opened === 1) {
          // ejabberd's tie-break within one second: the new session is the one replaced.
          setImmediate(() => {
            fresh.emit('error', Object.assign(new Error('conflict'), {condition: 'conflict'}))
            fresh._status('disconnect')
            kicked.push(fresh)
          })
        }
        return fresh
      },
    })
    const moved = new Promise<Transferred>((resolve) => helper.once('transferred', resolve))
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    const event = await moved
    assert.equal(opened, 2)
    assert.equal(kicked.length, 1)
    assert.notEqual(event.client, kicked[0])
    assert.equal(helper.client, event.client)
    assert.equal(event.oldStream, 'closed')
    assert.deepEqual(timer.slept, [1050, 2000], 'a later second, then conflictWait for a verdict')
  })

  test('the new session replaced while still binding (connect rejects with conflict) is tried again too', async () => {
    const log: string[] = []
    let opened = 0
    const old = fake(log, 'old')
    const timer = steppingTimer()
    const helper = followTransfers(old, {
      minSessionAge: 0,
      timer,
      allowedServers: TEST_SERVERS,
      connect: async (service) => {
        if (++opened === 1) {
          throw Object.assign(new Error('conflict - Replaced by new connection'), {name: 'StreamError', condition: 'conflict'})
        }
        return fake(log, 'new', service)
      },
    })
    const moved = new Promise<Transferred>((resolve) => helper.once('transferred', resolve))
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    await moved
    assert.equal(opened, 2)
    assert.equal(timer.slept[0], 1050, 'the second try waits for a later second')
  })

  test('the server keeps the old session twice: transfer-failed, the old session stays', async () => {
    const log: string[] = []
    let opened = 0
    const old = fake(log, 'old')
    const timer = steppingTimer()
    const helper = followTransfers(old, {
      minSessionAge: 0,
      timer,
      allowedServers: TEST_SERVERS,
      connect: async (service) => {
        const fresh = fake(log, `new${++opened}`, service)
        setImmediate(() => {
          fresh.emit('error', Object.assign(new Error('conflict'), {condition: 'conflict'}))
          fresh._status('disconnect')
        })
        return fresh
      },
    })
    const failed = new Promise<TransferFailed>((resolve) => helper.once('transfer-failed', resolve))
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    const event = await failed
    assert.equal(opened, 2)
    assert.match(event.error.message, /kept the old one/)
    assert.equal(event.client, old)
    assert.equal(event.online, true)
    assert.equal(helper.client, old)
    assert.equal(reconnectIsActive(old), true)
  })

  // Issue 13, item 13: 5 of 10 moves into a STARTTLS listener ended "client.socket?.destroy
  // is not a function" (@xmpp/tls's socket has no destroy()), the retry was skipped and the
  // old client's auto-reconnect was left off.
  test('into a STARTTLS listener: a new session the server replaced is dropped and tried again', async () => {
    const log: string[] = []
    let opened = 0
    const replaced: MockClient[] = []
    const old = fake(log, 'old')
    const timer = steppingTimer()
    const helper = followTransfers(old, {
      minSessionAge: 0,
      timer,
      allowedServers: TEST_SERVERS,
      connect: async (service) => {
        const fresh = mockClient({log, name: `new${++opened}`, service, secure: true})
        if (opened === 1) {
          setImmediate(() => {
            fresh.endStream('conflict', 'Replaced by new connection')
            replaced.push(fresh)
          })
        }
        return fresh
      },
    })
    const failed = new Promise<TransferFailed>((resolve) => helper.once('transfer-failed', resolve))
    const moved = new Promise<Transferred>((resolve) => helper.once('transferred', resolve))
    old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
    const event = await Promise.race([moved, failed.then((f) => assert.fail(`transfer-failed: ${f.error.message}`))])
    assert.equal(opened, 2)
    assert.equal(replaced[0].status, 'offline', 'the replaced session was dropped')
    assert.equal(replaced[0].socket, null)
    assert.equal(event.client.isSecure(), true)
    assert.equal(helper.client, event.client)
  })

  test('into a STARTTLS listener, replaced twice: the old session stays, with its auto-reconnect', async () => {
    const log: string[] = []
    let opened = 0
    const old = fake(log, 'old')
    const timer = steppingTimer()
    const helper = followTransfers(old, {
      minSessionAge: 0,
      timer,
      allowedServers: TEST_SERVERS,
      connect: async (service) => {
        const fresh = mockClient({log, name: `new${++opened}`, service, secure: true})
        setImmediate(() => {
          fresh.endStream('conflict')
        })
        return fresh
      },
    })
    const failed = new Promise<TransferFailed>((resolve) => helper.once('transfer-failed', resolve))
    old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
    const event = await failed
    assert.equal(opened, 2, 'tried again')
    assert.ok(event.error instanceof OldSessionKeptError, event.error.message)
    assert.equal(event.client, old)
    assert.equal(old.status, 'online')
    assert.equal(reconnectIsActive(old), true, 'auto-reconnect is back on')
  })

  test('a session younger than minSessionAge is left to age before the new one opens', async () => {
    const log: string[] = []
    let connectedAt = 0
    const old = fake(log, 'old')
    const started = Date.now()
    const helper = followTransfers(old, {
      minSessionAge: 150,
      conflictWait: 10,
      allowedServers: TEST_SERVERS,
      connect: async (service) => {
        connectedAt = Date.now()
        return fake(log, 'new', service)
      },
    })
    const moved = new Promise<Transferred>((resolve) => helper.once('transferred', resolve))
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    assert.equal((await answerTo(old, 'x1')).attrs.type, 'result', 'the answer does not wait')
    await moved
    assert.ok(connectedAt - started >= 140, `connect after ${connectedAt - started} ms`)
  })

  test('IPv6 servers are bracketed; the default port is 5222', async () => {
    const {old, connects} = setup()
    old.receive(transferIq(DOMAIN, '[2001:db8::7]'))
    await until(() => connects[0], 'connect')
    assert.equal(connects[0].service, 'xmpp://[2001:db8::7]:5222')
  })

  test('break-before-make on the same object: result, graceful close, login at the new service with the same resource', async () => {
    const {log, old, helper, events} = setup({mode: 'break-before-make', withConnect: false})
    old.receive(transferIq(DOMAIN, '127.0.0.2:5223'))
    const event = await until(() => events.transferred[0], 'transferred')
    const ping = old.sent.find((el) => el.getChild('ping', 'urn:xmpp:ping'))
    assert.deepEqual(log, [
      'old send iq result x1',
      `old send iq get ${ping?.attrs.id}`,
      'old stop',
      'old start xmpp://127.0.0.2:5223',
      'old send iq set bind1',
    ])
    const bind = old.sent.find((el) => el.attrs.id === 'bind1')
    assert.equal(bind?.getChild('bind', NS_BIND)?.getChildText('resource'), 'phone')
    assert.equal(event.client, old)
    assert.equal(helper.client, old)
    assert.equal(old.options.service, 'xmpp://127.0.0.2:5223')
    assert.equal(reconnectIsActive(old), true)
  })

  test('break-before-make to an unreachable service goes back to the old one', async () => {
    const {old, events} = setup({mode: 'break-before-make', withConnect: false})
    old.receive(transferIq(DOMAIN, '127.0.0.1:1'))
    const failed = await until(() => events.failed[0], 'transfer-failed')
    assert.equal(failed.online, true)
    assert.equal(old.status, 'online')
    assert.equal(old.options.service, 'xmpp://127.0.0.1:5222')
  })

  test('stop() detaches: packets fall through to service-unavailable', async () => {
    const {old, helper, connects} = setup()
    await helper.stop()
    old.receive(transferIq(DOMAIN, '127.0.0.2'))
    assert.equal(errorCondition(await answerTo(old, 'x1')), 'service-unavailable')
    old.receive(xml('iq', {type: 'get', id: 'd1', from: DOMAIN}, xml('query', {xmlns: NS_DISCO_INFO})))
    assert.equal(errorCondition(await answerTo(old, 'd1')), 'service-unavailable')
    assert.equal(connects.length, 0)
  })

  test('make-before-break without credentials or connect is refused at setup', () => {
    assert.throws(() => followTransfers(fake([], 'c')), /credentials/)
    assert.doesNotThrow(() => followTransfers(fake([], 'c'), {mode: 'break-before-make'}))
  })
})

// Issue 13, item 14: a move could silently downgrade TLS (isSecure() true, then false
// after moving to a plain port). An encrypted session stays encrypted, or the move fails
// with a clear reason and the old session stays.
describe('an encrypted session stays encrypted', () => {
  function tlsSetup(mode: 'make-before-break' | 'break-before-make', newSecure: boolean) {
    const log: string[] = []
    const old = mockClient({log, name: 'old', secure: true})
    const opened: MockClient[] = []
    // createClient: the TLS check before a break-before-make asks the same kind of server.
    const {create} = mockClientFactory({server: () => ({tls: newSecure})})
    const helper = followTransfers(old, {
      mode,
      minSessionAge: 0,
      timer: steppingTimer(),
      allowedServers: TEST_SERVERS,
      createClient: create,
      connect: async (service) => {
        const fresh = mockClient({log, name: `new${opened.length + 1}`, service, secure: newSecure})
        opened.push(fresh)
        return fresh
      },
    })
    const outcome = new Promise<Transferred | TransferFailed>((resolve) => {
      helper.once('transferred', resolve)
      helper.once('transfer-failed', resolve)
    })
    return {log, old, opened, helper, outcome}
  }

  for (const mode of ['make-before-break', 'break-before-make'] as const) {
    test(`${mode} to a server without TLS: transfer-failed with the reason, the old session stays`, async () => {
      const {log, old, opened, helper, outcome} = tlsSetup(mode, false)
      old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
      const event = await outcome
      assert.ok('error' in event, `${mode}: moved to ${event.to.service}, isSecure() ${event.client.isSecure()}`)
      assert.match(event.error.message, /TLS/)
      assert.ok(event.error instanceof TlsDowngradeError)
      assert.equal(event.client, old)
      assert.equal(event.online, true)
      assert.equal(helper.client, old)
      assert.equal(old.isSecure(), true)
      assert.ok(!log.includes('old stop'), 'the old stream was not closed')
      assert.ok(
        opened.every((client) => client.status === 'offline'),
        'what was opened is dropped',
      )
      assert.equal(reconnectIsActive(old), true)
    })
  }

  test('make-before-break to a server with TLS moves as before', async () => {
    const {outcome, old} = tlsSetup('make-before-break', true)
    old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
    const event = await outcome
    assert.ok(!('error' in event), 'error' in event ? event.error.message : '')
    assert.equal(event.client.isSecure(), true)
  })

  // The clients the helper opens itself (no connect): createClient hands out mocks.
  const isLogin = (element: Element) => element.name === 'auth' || element.name === 'authenticate'
  /** The move's transfer-failed; a move that succeeds fails the test at once. */
  const failure = (helper: ReturnType<typeof followTransfers>) =>
    new Promise<TransferFailed>((resolve, reject) => {
      helper.once('transfer-failed', resolve)
      helper.once('transferred', (event) => reject(new Error(`moved to ${event.to.service}, isSecure() ${event.client.isSecure()}`)))
    })

  for (const mode of ['make-before-break', 'break-before-make'] as const) {
    test(`${mode} with credentials: nothing of the login is written in clear, the old session stays`, async () => {
      const log: string[] = []
      const old = mockClient({log, name: 'old', secure: true})
      const factory = mockClientFactory({log, server: () => ({tls: false})})
      const helper = followTransfers(old, {
        mode,
        credentials: {password: 'secret'},
        minSessionAge: 0,
        timer: steppingTimer(),
        allowedServers: TEST_SERVERS,
        createClient: factory.create,
      })
      old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
      const event = await failure(helper)
      assert.ok(event.error instanceof TlsDowngradeError, event.error.message)
      assert.equal(factory.made.length, 1, mode === 'break-before-make' ? 'the TLS check only' : 'the clone only')
      assert.deepEqual(factory.made[0].sent.filter(isLogin), [], 'no <auth> was written')
      assert.equal(factory.made[0].status, 'offline')
      assert.ok(!log.includes('old stop'))
      assert.equal(old.status, 'online')
    })
  }

  test('break-before-make on the same client: refused before the old stream closes', async () => {
    const log: string[] = []
    const old = mockClient({log, name: 'old', secure: true})
    const factory = mockClientFactory({server: () => ({tls: false})})
    const helper = followTransfers(old, {mode: 'break-before-make', timer: steppingTimer(), allowedServers: TEST_SERVERS, createClient: factory.create})
    old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
    const event = await failure(helper)
    assert.ok(event.error instanceof TlsDowngradeError)
    assert.ok(!log.includes('old stop'))
    assert.equal(old.options.service, 'xmpp://127.0.0.1:5222')
  })

  test('break-before-make on the same client: a target that offered TLS to the check but not to the login is refused at the login; back where it was, encrypted', async () => {
    const log: string[] = []
    const old = mockClient({log, name: 'old', secure: true, server: (service) => ({tls: !service.endsWith(':5223')})})
    const factory = mockClientFactory({server: () => ({tls: true})})
    const helper = followTransfers(old, {mode: 'break-before-make', timer: steppingTimer(), allowedServers: TEST_SERVERS, createClient: factory.create})
    old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
    const event = await failure(helper)
    assert.ok(event.error instanceof TlsDowngradeError)
    assert.deepEqual(
      log.filter((line) => / (start|stop)/.test(line)),
      ['old stop', 'old start xmpp://127.0.0.1:5223', 'old start xmpp://127.0.0.1:5222'],
    )
    assert.equal(old.sent.filter(isLogin).length, 1, 'one <auth>, at the old place')
    assert.equal(event.online, true)
    assert.equal(old.isSecure(), true)
    assert.equal(old.options.service, 'xmpp://127.0.0.1:5222')
  })

  test('a plain session still moves to a plain server (nothing to keep)', async () => {
    const old = mockClient({name: 'old'})
    const factory = mockClientFactory({server: () => ({tls: false})})
    const helper = followTransfers(old, {
      credentials: {password: 'secret'},
      minSessionAge: 0,
      timer: steppingTimer(),
      allowedServers: TEST_SERVERS,
      createClient: factory.create,
    })
    const moved = new Promise<Transferred>((resolve) => helper.once('transferred', resolve))
    old.receive(transferIq(DOMAIN, '127.0.0.1:5223'))
    const event = await moved
    assert.equal(event.client, factory.made[0])
    assert.equal(event.client.isSecure(), false)
  })
})

// Issue 13, item 15: a trusted admin packet naming another domain, and a host with a valid
// certificate for it, made the client log in there and hand over its password. Whoever
// holds the admin credential must not be able to harvest passwords: only the user's own
// domain, and only servers the app allows (by default: names under that domain).
describe('where a transfer may send the session', () => {
  function policySetup(allowedServers?: Parameters<typeof followTransfers>[1] extends infer O ? (O extends {allowedServers?: infer A} ? A : never) : never) {
    const log: string[] = []
    const old = fake(log, 'old')
    const connects: string[] = []
    const helper = followTransfers(old, {
      trustedAdmins: ['admin@example.test'],
      minSessionAge: 0,
      timer: steppingTimer(),
      ...(allowedServers === undefined ? {} : {allowedServers}),
      connect: async (service) => {
        connects.push(service)
        return fake(log, 'new', service)
      },
    })
    const refused: TransferRefused[] = []
    helper.on('transfer-refused', (event) => refused.push(event))
    return {old, helper, connects, refused}
  }

  test('a trusted admin naming another domain: not-allowed (cancel), nothing opened', async () => {
    const {old, connects, refused} = policySetup()
    old.receive(transferIq('admin@example.test/cli', 'xmpp.evil.test', {domain: 'evil.test'}))
    const answer = await answerTo(old, 'x1')
    assert.equal(answer.attrs.type, 'error')
    assert.equal(answer.getChild('error')?.attrs.type, 'cancel')
    assert.equal(errorCondition(answer), 'not-allowed')
    assert.match(answer.getChild('error')?.getChildText('text', NS_STANZAS) ?? '', /evil\.test/)
    assert.deepEqual(connects, [])
    assert.deepEqual(
      refused.map((event) => event.condition),
      ['not-allowed'],
    )
  })

  for (const server of ['203.0.113.9:5222', 'xmpp.evil.test', '127.0.0.1:4444', 'example.test.evil.test']) {
    test(`the own domain but a server the app did not allow (${server}): not-allowed, nothing opened`, async () => {
      const {old, connects, refused} = policySetup()
      old.receive(transferIq(DOMAIN, server))
      assert.equal(errorCondition(await answerTo(old, 'x1')), 'not-allowed')
      assert.deepEqual(connects, [])
      assert.match(refused[0]?.reason ?? '', /allowedServers/)
    })
  }

  for (const server of ['example.test', 'node2.example.test:5223', 'A.B.Example.Test']) {
    test(`by default, a name under the user's domain is allowed (${server})`, async () => {
      const {old, connects} = policySetup()
      old.receive(transferIq(DOMAIN, server))
      assert.equal((await answerTo(old, 'x1')).attrs.type, 'result')
      await until(() => connects.length === 1, 'connect')
    })
  }

  test('allowedServers: host:port is that port only, a bare host any port, *.name any name under it', async () => {
    const cases: Array<[string, boolean]> = [
      ['10.0.0.4:5222', true],
      ['10.0.0.4:5223', false],
      ['10.0.0.4', true],
      ['10.0.0.5:5222', true],
      ['10.0.0.5:6222', true],
      ['10.0.0.6:5222', false],
      ['n1.cluster.example.net:5222', true],
      ['cluster.example.net', false],
      ['node2.example.test', false],
      ['[2001:db8::1]:5222', true],
      ['[2001:db8::1]:5223', false],
    ]
    for (const [server, allowed] of cases) {
      const {old, connects} = policySetup(['10.0.0.4:5222', '10.0.0.5', '*.cluster.example.net', '[2001:db8::1]:5222'])
      old.receive(transferIq(DOMAIN, server))
      const answer = await answerTo(old, 'x1')
      assert.equal(answer.attrs.type === 'result', allowed, `${server}: ${answer.attrs.type} ${errorCondition(answer) ?? ''}`)
      if (allowed) await until(() => connects.length === 1, 'connect')
    }
  })

  test('allowedServers as a function sees the parsed server', async () => {
    const seen: string[] = []
    const {old, connects} = policySetup((server) => {
      seen.push(`${server.kind} ${server.host} ${server.port}`)
      return server.port === 5222
    })
    old.receive(transferIq(DOMAIN, '10.0.0.9'))
    assert.equal((await answerTo(old, 'x1')).attrs.type, 'result')
    await until(() => connects.length === 1, 'connect')
    assert.deepEqual(seen, ['ipv4 10.0.0.9 5222'])
  })

  test('a bad allowedServers entry fails at setup', () => {
    assert.throws(() => followTransfers(fake([], 'c'), {mode: 'break-before-make', allowedServers: ['not a host!']}), /allowedServers/)
    assert.throws(() => followTransfers(fake([], 'c'), {mode: 'break-before-make', allowedServers: ['*.']}), /allowedServers/)
  })
})
