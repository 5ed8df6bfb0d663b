// Each touch of xmpp.js below its public API (src/client/xmpp-internals.ts), run on a
// real @xmpp/client 0.14 object: when an upgrade changes one of them, this file says which.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {client as realClient, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {
  abandon,
  askForResource,
  closeGracefully,
  dropDataAfterStreamEnd,
  holdBind,
  reconnectIsActive,
  resumeReconnect,
  retarget,
  sendWithoutDelay,
  startUntilOnline,
  unwrapIPv6Hosts,
} from '../../src/client/xmpp-internals.js'
import {mockClient} from '../support/mock-client.js'

const DOMAIN = 'example.test'
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'

/** A real client whose writes go nowhere: send() runs the real Connection#send up to write(). */
function offlineClient(service = 'xmpp://127.0.0.1:5222'): XmppClient & {written: string[]} {
  const c = realClient({service, domain: DOMAIN}) as XmppClient & {written: string[]; Transport: unknown; _findTransport(service: string): unknown}
  c.reconnect.stop()
  // What connect() would pick: Client#send dispatches to the transport's send.
  c.Transport = c._findTransport(service)
  c.written = []
  c.write = async (text: string) => {
    c.written.push(text)
  }
  return c
}

const bindIq = () => xml('iq', {type: 'set', id: 'b1'}, xml('bind', {xmlns: NS_BIND}))

describe('@xmpp/reconnect', () => {
  test('reconnectIsActive follows @xmpp/reconnect start/stop on a real client', () => {
    const c = realClient({service: 'xmpp://127.0.0.1:5222', domain: DOMAIN})
    assert.equal(reconnectIsActive(c), true)
    c.reconnect.stop()
    assert.equal(reconnectIsActive(c), false)
  })

  test('resumeReconnect schedules the reconnect a disconnect missed while it was stopped', () => {
    const c = realClient({service: 'xmpp://127.0.0.1:5222', domain: DOMAIN})
    c.reconnect.stop()
    c._status('disconnect')
    let scheduled = 0
    c.reconnect.scheduleReconnect = () => {
      scheduled += 1
    }
    resumeReconnect(c)
    assert.equal(reconnectIsActive(c), true)
    assert.equal(scheduled, 1)
    c.reconnect.stop()
  })
})

describe('where a client connects', () => {
  test('bracketed IPv6 hosts reach net.connect without brackets', () => {
    const service = 'xmpp://[2001:db8::7]:5223'
    const c = realClient({service, domain: DOMAIN}) as XmppClient & {Transport: unknown; _findTransport(service: string): unknown}
    c.Transport = c._findTransport(service)
    assert.equal(c.socketParameters(service)?.host, '[2001:db8::7]', 'xmpp.js 0.14 keeps the brackets')
    unwrapIPv6Hosts(c)
    assert.deepEqual(c.socketParameters(service), {host: '2001:db8::7', port: 5223})
  })

  test('retarget changes what start() reads, and undoes it', () => {
    const c = realClient({service: 'xmpp://127.0.0.1:5222', domain: DOMAIN})
    const undo = retarget(c, {service: 'xmpp://127.0.0.2:5223', domain: 'other.test'})
    assert.deepEqual([c.options.service, c.options.domain], ['xmpp://127.0.0.2:5223', 'other.test'])
    undo()
    assert.deepEqual([c.options.service, c.options.domain], ['xmpp://127.0.0.1:5222', DOMAIN])
  })
})

describe('what the client sends', () => {
  test('askForResource adds the resource to the bind iq going through the real send()', async () => {
    const c = offlineClient()
    const sent: Element[] = []
    c.on('send', (element: Element) => sent.push(element))
    const undo = askForResource(c, 'phone')
    await c.send(bindIq())
    assert.equal(sent[0].getChild('bind', NS_BIND)?.getChildText('resource'), 'phone')
    undo()
    assert.equal(Object.prototype.hasOwnProperty.call(c, 'send'), false, 'the prototype send is back')
  })

  test('holdBind holds the bind iq until the gate settles; other elements pass', async () => {
    const c = offlineClient()
    let open!: () => void
    const undo = holdBind(c, new Promise<void>((resolve) => (open = resolve)))
    await c.send(xml('presence'))
    const binding = c.send(bindIq())
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(c.written.length, 1, 'only the presence is written')
    open()
    await binding
    assert.equal(c.written.length, 2)
    undo()
  })

  test('two inspectors undone in either order leave the prototype send', async () => {
    const c = offlineClient()
    const undoA = askForResource(c, 'a')
    const undoB = holdBind(c, Promise.resolve())
    undoA()
    assert.equal(Object.prototype.hasOwnProperty.call(c, 'send'), true, 'B still inspects')
    await c.send(bindIq())
    assert.doesNotMatch(c.written[0], /<resource>/, 'A no longer inspects')
    undoB()
    assert.equal(Object.prototype.hasOwnProperty.call(c, 'send'), false)
  })
})

describe('@xmpp/connection', () => {
  test('without the guard, data after the parser is gone throws from the socket listener; with it, it is dropped', () => {
    const c = realClient({service: 'xmpp://127.0.0.1:5222', domain: DOMAIN}) as XmppClient & {_onData(data: Buffer): void; parser: unknown}
    c.parser = null
    assert.throws(() => c._onData(Buffer.from('<late/>')), TypeError)
    dropDataAfterStreamEnd(c)
    assert.doesNotThrow(() => c._onData(Buffer.from('<late/>')))
  })

  test("startUntilOnline: online counts even while start() still waits (open()'s missed header); start()'s own error still rejects", async () => {
    const waiting = realClient({service: 'xmpp://127.0.0.1:5222', domain: DOMAIN})
    waiting.start = () => new Promise(() => {})
    const started = startUntilOnline(waiting)
    waiting.emit('online', undefined)
    await started
    const failing = realClient({service: 'xmpp://127.0.0.1:5222', domain: DOMAIN})
    failing.start = () => Promise.reject(new Error('not-authorized'))
    await assert.rejects(startUntilOnline(failing), /not-authorized/)
  })
})

// After STARTTLS (and with xmpps://) client.socket is @xmpp/tls's Socket: an EventEmitter
// around a tls.TLSSocket, without destroy() or setNoDelay(). The mock uses that very class.
describe('the socket under TLS (issue 13, item 13)', () => {
  test('abandon() drops a TLS session: the Node socket is destroyed, the client offline', async () => {
    const c = mockClient({secure: true})
    const tcp = c.socket.socket
    assert.equal(typeof c.socket.destroy, 'undefined', '@xmpp/tls 0.14 has no destroy()')
    await abandon(c)
    assert.equal(tcp.destroyed, true)
    assert.equal(c.status, 'offline')
  })

  test('closeGracefully() on a TLS session that does not close in time destroys its socket', async () => {
    const c = mockClient({secure: true})
    const tcp = c.socket.socket
    c.stop = () => new Promise(() => {})
    await closeGracefully(c, 20)
    assert.equal(tcp.destroyed, true)
    assert.equal(c.status, 'offline')
  })

  test('sendWithoutDelay() reaches the TCP socket under @xmpp/tls', () => {
    const c = mockClient({secure: true})
    let noDelay: boolean | undefined
    c.socket.socket.setNoDelay = (enable: boolean) => {
      noDelay = enable
      return c.socket.socket
    }
    sendWithoutDelay(c)
    assert.equal(noDelay, true)
  })
})
