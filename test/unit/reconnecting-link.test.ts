import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {test} from 'node:test'

import xml, {type Element} from '@xmpp/xml'

import type {AdminSession} from '../../src/connection/admin-session.js'
import {ConnectionLostError, NotSentError} from '../../src/connection/iq-exchange.js'
import {ADMIN_LINK_BACKOFF, ReconnectingLink} from '../../src/connection/reconnecting-link.js'
import {fakeClock} from './fake-clock.js'

/** A session whose link can be cut; it answers every iq with a result. */
class FakeSession extends EventEmitter implements AdminSession {
  jid = 'admin@d/x'
  up = true
  sent: Element[] = []
  async request(iq: Element) {
    if (!this.up) throw new NotSentError(new Error('Connection is closing'))
    this.sent.push(iq)
    return xml('iq', {type: 'result', id: iq.attrs.id})
  }
  async send() {}
  async close() {
    this.up = false
  }
  cut() {
    this.up = false
    this.emit('disconnected')
  }
}

/** The run's admin link (ReconnectingLink, policy `wait`) whose every login opens a new FakeSession, kept in order. */
function adminOverFakeSessions() {
  const sessions: FakeSession[] = []
  const admin = new ReconnectingLink(
    async () => {
      const session = new FakeSession()
      sessions.push(session)
      return session
    },
    fakeClock(),
    {whileDown: 'wait', backoff: ADMIN_LINK_BACKOFF, label: 'admin'},
  )
  return {sessions, admin}
}

test('after the link drops, requests wait for a new login and go out on it', async () => {
  const {sessions, admin} = adminOverFakeSessions()
  await admin.start()
  await admin.request(xml('iq', {type: 'set', id: '1'}))
  sessions[0].cut()
  const answer = await admin.request(xml('iq', {type: 'set', id: '2'}))
  assert.equal(answer.attrs.id, '2')
  assert.equal(sessions.length, 2)
  assert.deepEqual(
    sessions[1].sent.map((iq) => iq.attrs.id),
    ['2'],
  )
  assert.equal(admin.reconnects, 1)
})

test('a stanza that never left is sent on the next stream; one whose answer was lost is not re-sent', async () => {
  const {sessions, admin} = adminOverFakeSessions()
  await admin.start()
  // The stream is closing but the 'disconnected' event has not come yet.
  sessions[0].up = false
  assert.equal((await admin.request(xml('iq', {type: 'set', id: 'a'}))).attrs.id, 'a')
  assert.equal(sessions.length, 2)
  // A request in flight when the link drops fails: the caller decides (the engine watches instead).
  sessions[1].request = async () => {
    throw new ConnectionLostError()
  }
  await assert.rejects(admin.request(xml('iq', {type: 'set', id: 'b'})), ConnectionLostError)
})

test('gives up when logging in keeps failing past the limit', async () => {
  let opens = 0
  const clock = fakeClock()
  let first: FakeSession | undefined
  const admin = new ReconnectingLink(
    async () => {
      opens++
      if (opens === 1) return (first = new FakeSession())
      throw new Error('refused')
    },
    clock,
    {whileDown: 'wait', backoff: {initialDelayMs: 500, maxDelayMs: 4000, giveUpAfterMs: 10_000}, label: 'admin'},
  )
  await admin.start()
  first!.cut()
  await assert.rejects(admin.request(xml('iq', {type: 'set', id: 'x'})), /refused/)
  assert.ok(opens >= 4 && opens <= 8, `${opens} tries`)
})
