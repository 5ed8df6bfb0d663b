import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {xml} from '@xmpp/client'

import {transferNamespaceOf} from '../../src/fleet/behaviours.js'
import {SessionClock} from '../../src/fleet/session-clock.js'
import {NS_CXFR, NS_SRVXFR} from '../../src/protocol/index.js'

function clockAt(start = 1000) {
  const time = {now: start}
  return {time, clock: new SessionClock(() => time.now)}
}

describe('SessionClock', () => {
  test('before the first bind nothing counts', () => {
    const {time, clock} = clockAt()
    time.now = 5000
    assert.deepEqual(clock.read(), {online: false, offlineMs: 0, gaps: 0, longestGapMs: 0, lastBoundAt: null})
  })

  test('break-before-make: the gap runs from the old end to the new bind', () => {
    const {time, clock} = clockAt()
    const a = {}
    const b = {}
    clock.bound(a)
    time.now = 2000
    clock.unbound(a)
    time.now = 2040
    assert.equal(clock.read().offlineMs, 40, 'an open gap counts')
    assert.equal(clock.read().online, false)
    time.now = 2150
    clock.bound(b)
    assert.deepEqual(clock.read(), {online: true, offlineMs: 150, gaps: 1, longestGapMs: 150, lastBoundAt: 2150})
  })

  test('make-before-break: the new session binds before the old ends, no gap', () => {
    const {time, clock} = clockAt()
    const a = {}
    const b = {}
    clock.bound(a)
    time.now = 2000
    clock.bound(b)
    time.now = 2001
    clock.unbound(a)
    assert.deepEqual(clock.read(), {online: true, offlineMs: 0, gaps: 0, longestGapMs: 0, lastBoundAt: 2000})
  })

  test('an end learnt late is backdated; a second unbound of one session is ignored', () => {
    const {time, clock} = clockAt()
    const a = {}
    clock.bound(a)
    time.now = 3000
    clock.unbound(a, 2500)
    clock.unbound(a, 2900)
    assert.equal(clock.read().offlineMs, 500)
  })

  test('close() ends the count', () => {
    const {time, clock} = clockAt()
    const a = {}
    clock.bound(a)
    time.now = 2000
    clock.unbound(a)
    time.now = 2100
    clock.close()
    time.now = 9000
    assert.equal(clock.read().offlineMs, 100)
    clock.bound(a)
    assert.equal(clock.read().online, false)
  })
})

describe('transferNamespaceOf', () => {
  test('counts any iq set carrying a transfer query, valid or not', () => {
    assert.equal(transferNamespaceOf(xml('iq', {type: 'set'}, xml('query', {xmlns: NS_SRVXFR}))), NS_SRVXFR)
    assert.equal(transferNamespaceOf(xml('iq', {type: 'set'}, xml('query', {xmlns: NS_CXFR}, xml('server', {}, '!!')))), NS_CXFR)
    assert.equal(transferNamespaceOf(xml('iq', {type: 'get'}, xml('query', {xmlns: NS_CXFR}))), undefined)
    assert.equal(transferNamespaceOf(xml('iq', {type: 'set'}, xml('query', {xmlns: 'jabber:iq:roster'}))), undefined)
    assert.equal(transferNamespaceOf(xml('message', {}, xml('query', {xmlns: NS_SRVXFR}))), undefined)
  })
})
