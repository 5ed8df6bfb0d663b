import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {xml} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import type {Behaviour} from '../../src/fleet/behaviours.js'
import {ignoreTransfers} from '../../src/fleet/behaviours.js'
import {FleetStartError, startFleet} from '../../src/fleet/index.js'
import {NS_CXFR, NS_SRVXFR, NS_STANZAS} from '../../src/protocol/index.js'
import {mockClient} from '../support/mock-client.js'

/** The shared mock: the real middleware and iq callee of an @xmpp/client, no network. */
function fakeEntity() {
  return mockClient({jid: 'user1@example.test/r', answerPings: false})
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

function transfer(ns: string, id: string): Element {
  return xml('iq', {type: 'set', id, from: 'example.test'}, xml('query', {xmlns: ns}, xml('domain', {}, 'example.test'), xml('server', {}, '127.0.0.2')))
}

describe('behaviours', () => {
  test('an unmodified client refuses: service-unavailable', async () => {
    const entity = fakeEntity()
    entity.emit('element', transfer(NS_SRVXFR, 'a'))
    await tick()
    assert.equal(entity.sent[0]?.attrs.type, 'error')
    assert.ok(entity.sent[0]?.getChild('error')?.getChild('service-unavailable', NS_STANZAS))
  })

  test('ignore: no answer in either namespace; other iqs still answered', async () => {
    const entity = fakeEntity()
    ignoreTransfers(entity)
    entity.emit('element', transfer(NS_SRVXFR, 'a'))
    entity.emit('element', transfer(NS_CXFR, 'b'))
    entity.emit('element', xml('iq', {type: 'get', id: 'c', from: 'example.test'}, xml('query', {xmlns: 'jabber:iq:version'})))
    await tick()
    assert.deepEqual(
      entity.sent.map((el) => el.attrs.id),
      ['c'],
    )
  })
})

describe('startFleet without a server', () => {
  test('rejects with a summary when users cannot log in, after counting the failures', async () => {
    const events: string[] = []
    await assert.rejects(
      startFleet({
        service: 'xmpp://127.0.0.1:1',
        domain: 'example.test',
        users: ['u1', 'u2'],
        password: 'x',
        loginAttempts: 2,
        onEvent: (event) => events.push(`${event.type} ${'user' in event ? event.user : ''}`),
      }),
      (error: unknown) => {
        assert.ok(error instanceof FleetStartError)
        assert.match(error.message, /2 of 2 users could not log in/)
        assert.match(error.message, /ECONNREFUSED/)
        assert.deepEqual(
          error.failures.map((f) => f.user),
          ['u1', 'u2'],
        )
        return true
      },
    )
    assert.equal(events.filter((e) => e.startsWith('login-failed')).length, 4)
  })

  test('an unknown behaviour is refused at once', async () => {
    await assert.rejects(
      startFleet({service: 'xmpp://127.0.0.1:1', domain: 'example.test', users: ['u1'], password: 'x', behaviour: () => 'dance' as Behaviour}),
      /not one of follow, refuse, ignore/,
    )
  })
})
