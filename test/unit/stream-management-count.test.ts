// The XEP-0198 count guard on a real @xmpp/client 0.14 instance, fed elements as one read
// of the socket would deliver them (no network: the client's send is captured).
import assert from 'node:assert/strict'
import {afterEach, describe, test} from 'node:test'

import {client as createClient, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {guardStreamManagementCount} from '../../src/client/index.js'

const NS_SM = 'urn:xmpp:sm:3'

interface Harness {
  client: XmppClient
  sm: {inbound: number; enabled: boolean}
  acks: string[]
  /** Elements parsed from one read: handled back to back, before any pending promise settles. */
  read(...elements: Element[]): void
}

const made: XmppClient[] = []

// The library arms its ack timers (30 s, 60 s) once stream management is on; its
// 'disconnect' handler clears them, so that the test process can end.
afterEach(() => {
  for (const client of made.splice(0)) client.emit('disconnect', {clean: true})
})

function harness(guard: boolean): Harness {
  const client = createClient({service: 'xmpp://127.0.0.1:1', domain: 'example.test', username: 'u', password: 'p'})
  client.reconnect.stop()
  made.push(client)
  if (guard) guardStreamManagementCount(client)
  const acks: string[] = []
  Object.assign(client, {
    async send(element: Element) {
      if (element.name === 'a') acks.push(element.attrs.h ?? '')
    },
  })
  const sm = (client as unknown as {streamManagement: {inbound: number; enabled: boolean}}).streamManagement
  const onElement = (client as unknown as {_onElement(element: Element): void})._onElement.bind(client)
  return {client, sm, acks, read: (...elements) => elements.forEach(onElement)}
}

const message = (n: number) => xml('message', {type: 'chat', id: `m${n}`}, xml('body', {}, `m${n}`))

/** What @xmpp/stream-management's enabled() does once the <enabled/> promise settled. */
function libraryEnabled(sm: Harness['sm']): void {
  sm.enabled = true
  sm.inbound = 0
}

describe('guardStreamManagementCount', () => {
  test('without it, <a/> counts the stanzas from before <enabled/> (what ejabberd closes the stream for)', () => {
    const {sm, acks, read} = harness(false)
    read(message(1), message(2), message(3)) // flushed before the server enabled stream management
    read(xml('enabled', {xmlns: NS_SM, id: 's1', resume: 'true'}), message(4), xml('r', {xmlns: NS_SM}))
    assert.deepEqual(acks, ['4'], 'the bug the guard is for: 4 acknowledged, 1 sent since <enabled/>')
    libraryEnabled(sm)
  })

  test("with it, <a/> answers the stanzas since <enabled/>, and the library's late reset loses none", () => {
    const {sm, acks, read} = harness(true)
    read(message(1), message(2), message(3))
    read(xml('enabled', {xmlns: NS_SM, id: 's1', resume: 'true'}), message(4), xml('r', {xmlns: NS_SM}))
    assert.deepEqual(acks, ['1'])
    libraryEnabled(sm)
    assert.equal(sm.inbound, 1, 'the message after <enabled/> still counts')
    read(message(5), message(6), xml('r', {xmlns: NS_SM}))
    assert.deepEqual(acks, ['1', '3'])
  })

  test('later resets (offline) still reset; a second guard is a no-op', () => {
    const {client, sm, acks, read} = harness(true)
    guardStreamManagementCount(client)
    read(xml('enabled', {xmlns: NS_SM, id: 's1'}))
    libraryEnabled(sm)
    read(message(1), message(2))
    sm.inbound = 0 // the library's 'offline' handler
    assert.equal(sm.inbound, 0)
    read(xml('enabled', {xmlns: NS_SM, id: 's2'}), message(3), xml('r', {xmlns: NS_SM}))
    assert.deepEqual(acks, ['1'])
  })

  test("a stream that ends between <enabled/> and the library's reset leaves nothing pending", () => {
    const {client, sm, read} = harness(true)
    read(xml('enabled', {xmlns: NS_SM, id: 's1'}), message(1))
    client.emit('disconnect', {clean: false})
    sm.inbound = 0 // the next stream's reset must not be swallowed
    assert.equal(sm.inbound, 0)
  })
})
