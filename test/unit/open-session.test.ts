// How the helper opens the new session (src/client/open-session.ts), on the shared mock.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {cloneClient, offersTls} from '../../src/client/open-session.js'
import {systemTimer} from '../../src/client/timer.js'
import {mockClient, mockClientFactory} from '../support/mock-client.js'

const target = {service: 'xmpp://127.0.0.2:5222', domain: 'example.test'}

function cloneOf(previous = mockClient(), prepare?: Parameters<typeof cloneClient>[2]['prepare']) {
  const factory = mockClientFactory()
  const opening = cloneClient(
    target,
    {resource: 'phone', signal: new AbortController().signal, previous, secure: false},
    {
      credentials: {password: 'secret'},
      adopt: () => {},
      prepare,
      timeout: 1000,
      timer: systemTimer(),
      create: factory.create,
    },
  )
  return {opening, factory}
}

describe('cloneClient', () => {
  test('a clone of the session: the same account and resource, at the target, online, reconnect off', async () => {
    const {opening, factory} = cloneOf()
    const fresh = await opening
    assert.equal(fresh, factory.made[0])
    assert.equal(fresh.status, 'online')
    assert.equal(fresh.jid?.toString(), 'user1@example.test/phone')
    assert.equal(fresh.options.service, target.service)
  })

  // Issue 13, item 16: without `prepare` nobody listened for 'error' on the clone once it
  // was online, so the next error (a kick, a reconnect that fails) was an uncaughtException.
  test('a clone made without prepare: a later error does not throw', async () => {
    const {opening} = cloneOf()
    const fresh = await opening
    assert.doesNotThrow(() => fresh.emit('error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.2:5222'), {code: 'ECONNREFUSED'})))
    assert.doesNotThrow(() => (fresh as ReturnType<typeof mockClient>).endStream('conflict'))
  })

  test("the app's own error listener (attached in prepare) hears the errors", async () => {
    const heard: string[] = []
    const {opening} = cloneOf(undefined, (client) => client.on('error', (error: Error) => heard.push(error.message)))
    const fresh = await opening
    fresh.emit('error', new Error('late'))
    assert.deepEqual(heard, ['late'])
  })
})

describe('offersTls', () => {
  const probe = (tls: boolean, service = target.service) => {
    const factory = mockClientFactory({server: (s) => (s.endsWith(':1') ? {refuse: new Error('connect ECONNREFUSED')} : {tls})})
    const result = offersTls(
      {...target, service},
      {username: 'user1', timeout: 1000, timer: systemTimer(), signal: new AbortController().signal, create: factory.create},
    )
    return {result, factory}
  }
  for (const tls of [true, false]) {
    test(`a server ${tls ? 'with' : 'without'} STARTTLS: ${tls}, stopped before the login, dropped`, async () => {
      const {result, factory} = probe(tls)
      assert.equal(await result, tls)
      assert.deepEqual(
        factory.made[0].sent.map((element) => element.name),
        [],
        'nothing written: the <auth> was stopped',
      )
      assert.equal(factory.made[0].status, 'offline')
    })
  }
  test('a server that cannot be reached: the error', async () => {
    await assert.rejects(probe(true, 'xmpp://127.0.0.2:1').result, /ECONNREFUSED/)
  })
})
