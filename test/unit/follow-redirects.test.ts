import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import xml, {Element} from '@xmpp/xml'

import {followRedirects, RedirectError} from '../../src/connection/follow-redirects.js'

/** A deep copy (ltx 3 elements have no clone method). */
function copy(element: Element): Element {
  const result = new Element(element.name, {...element.attrs})
  for (const child of element.children) result.append(typeof child === 'string' ? child : copy(child))
  return result
}

/** What an entity of the fake network does with an iq it receives. */
type Behaviour = {answer: 'result'} | {answer: 'error'; code: string} | {answer: 'redirect'; to: string; tamper?: (redirected: Element) => void}

/**
 * A tiny network of entities keyed by JID. It answers each iq as its `to`
 * would, and records every iq it receives (a copy, as sent).
 */
function fakePeer(entities: Record<string, Behaviour>) {
  const received: Element[] = []
  const behaviours = new Map(Object.entries(entities))

  async function exchange(iq: Element): Promise<Element> {
    received.push(copy(iq))
    const to = iq.attrs.to ?? ''
    const behaviour = behaviours.get(to)
    const envelope = {type: 'error', id: iq.attrs.id, from: to, to: iq.attrs.from}
    if (!behaviour) return xml('iq', envelope, xml('error', {code: '404', type: 'cancel'}))
    if (behaviour.answer === 'result') return xml('iq', {...envelope, type: 'result'}, xml('answer', {from: to}))
    if (behaviour.answer === 'error') return xml('iq', envelope, xml('error', {code: behaviour.code, type: 'cancel'}))

    // XEP-0051 v0.1: the original payload, then <error code='302'> carrying the whole redirected query.
    const redirected = copy(iq)
    redirected.attrs.to = behaviour.to
    redirected.attrs.xmlns = 'jabber:client'
    behaviour.tamper?.(redirected)
    return xml('iq', envelope, ...iq.getChildElements().map(copy), xml('error', {code: '302', type: 'modify'}, redirected))
  }

  return {exchange, received, targets: () => received.map((iq) => iq.attrs.to)}
}

function query(type = 'get', to = 'a@x'): Element {
  return xml('iq', {type, to, id: 'q1'}, xml('query', {xmlns: 'http://jabber.org/protocol/disco#info'}))
}

async function redirectError(promise: Promise<unknown>): Promise<RedirectError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof RedirectError, `expected a RedirectError, got ${error}`)
    return error
  }
  assert.fail('the redirect was followed')
}

/** a@x → b@x → … → the last, which answers. */
function chain(jids: string[], last: Behaviour = {answer: 'result'}): Record<string, Behaviour> {
  const entities: Record<string, Behaviour> = {}
  jids.forEach((jid, index) => {
    entities[jid] = index === jids.length - 1 ? last : {answer: 'redirect', to: jids[index + 1]}
  })
  return entities
}

describe('followRedirects', () => {
  it('returns the answer when there is no redirect', async () => {
    const peer = fakePeer({'a@x': {answer: 'result'}})
    const answer = await followRedirects(peer.exchange, query())
    assert.equal(answer.attrs.type, 'result')
    assert.deepEqual(peer.targets(), ['a@x'])
  })

  it('returns an error other than 302 as it is', async () => {
    const peer = fakePeer({'a@x': {answer: 'error', code: '503'}})
    const answer = await followRedirects(peer.exchange, query())
    assert.equal(answer.attrs.type, 'error')
    assert.equal(answer.getChild('error')?.attrs.code, '503')
    assert.deepEqual(peer.targets(), ['a@x'])
  })

  for (const hops of [1, 2, 3]) {
    it(`follows ${hops} valid redirect${hops > 1 ? 's' : ''} and returns the final result`, async () => {
      const jids = ['a@x', 'b@x', 'c@x', 'd@x'].slice(0, hops + 1)
      const peer = fakePeer(chain(jids))
      const answer = await followRedirects(peer.exchange, query())
      assert.equal(answer.attrs.type, 'result')
      assert.equal(answer.getChild('answer')?.attrs.from, jids.at(-1))
      assert.deepEqual(peer.targets(), jids)
      assert.deepEqual(
        peer.received.map((iq) => iq.attrs.id),
        jids.map(() => 'q1'),
      )
      for (const iq of peer.received) {
        assert.equal(iq.attrs.type, 'get')
        assert.equal(iq.attrs.xmlns, undefined, 'the namespace the redirector declared is not re-sent')
        assert.equal(iq.getChild('query')?.attrs.xmlns, 'http://jabber.org/protocol/disco#info')
      }
    })
  }

  it('follows a redirect to an error and returns that error', async () => {
    const peer = fakePeer(chain(['a@x', 'b@x'], {answer: 'error', code: '404'}))
    const answer = await followRedirects(peer.exchange, query())
    assert.equal(answer.getChild('error')?.attrs.code, '404')
    assert.deepEqual(peer.targets(), ['a@x', 'b@x'])
  })

  it('sends the redirected payload, which may differ from the original', async () => {
    const peer = fakePeer({
      'a@x': {
        answer: 'redirect',
        to: 'b@x',
        tamper: (iq) => {
          iq.children = [xml('query', {xmlns: 'storage:client:app-specific'})]
        },
      },
      'b@x': {answer: 'result'},
    })
    await followRedirects(peer.exchange, query())
    assert.equal(peer.received[1].getChild('query')?.attrs.xmlns, 'storage:client:app-specific')
  })

  it('gives up after three redirects, four tries, naming every hop', async () => {
    const peer = fakePeer(chain(['a@x', 'b@x', 'c@x', 'd@x', 'e@x']))
    const error = await redirectError(followRedirects(peer.exchange, query()))
    assert.equal(error.reason, 'too-many-redirects')
    assert.deepEqual(error.hops, ['a@x', 'b@x', 'c@x', 'd@x', 'e@x'])
    assert.ok(error.message.includes('a@x → b@x → c@x → d@x → e@x'), error.message)
    assert.deepEqual(peer.targets(), ['a@x', 'b@x', 'c@x', 'd@x'])
  })

  it('takes a lower limit', async () => {
    const peer = fakePeer(chain(['a@x', 'b@x', 'c@x']))
    const error = await redirectError(followRedirects(peer.exchange, query(), {maxRedirects: 1}))
    assert.equal(error.reason, 'too-many-redirects')
    assert.deepEqual(peer.targets(), ['a@x', 'b@x'])
  })

  it('stops a loop A → B → A', async () => {
    const peer = fakePeer({'a@x': {answer: 'redirect', to: 'b@x'}, 'b@x': {answer: 'redirect', to: 'a@x'}})
    const error = await redirectError(followRedirects(peer.exchange, query()))
    assert.equal(error.reason, 'loop')
    assert.deepEqual(error.hops, ['a@x', 'b@x', 'a@x'])
    assert.ok(error.message.includes('a@x → b@x → a@x'), error.message)
    assert.deepEqual(peer.targets(), ['a@x', 'b@x'])
  })

  it('stops a redirect to the entity itself', async () => {
    const peer = fakePeer({'a@x': {answer: 'redirect', to: 'a@x'}})
    const error = await redirectError(followRedirects(peer.exchange, query()))
    assert.equal(error.reason, 'loop')
    assert.deepEqual(peer.targets(), ['a@x'])
  })

  const tampered: Array<[string, (iq: Element) => void, RegExp]> = [
    [
      'the id changed',
      (iq) => {
        iq.attrs.id = 'q2'
      },
      /changed 'id'/,
    ],
    [
      'the id removed',
      (iq) => {
        delete iq.attrs.id
      },
      /changed 'id'/,
    ],
    [
      'from added',
      (iq) => {
        iq.attrs.from = 'admin@x/evil'
      },
      /changed 'from'/,
    ],
    [
      'an attribute added',
      (iq) => {
        iq.attrs['xml:lang'] = 'fr'
      },
      /changed 'xml:lang'/,
    ],
    [
      'the type turned into set',
      (iq) => {
        iq.attrs.type = 'set'
      },
      /is 'set', not get/,
    ],
    [
      'the destination removed',
      (iq) => {
        delete iq.attrs.to
      },
      /names no destination/,
    ],
  ]
  for (const [what, tamper, reason] of tampered) {
    it(`does not follow a redirect with ${what}`, async () => {
      const peer = fakePeer({'a@x': {answer: 'redirect', to: 'b@x', tamper}, 'b@x': {answer: 'result'}})
      const error = await redirectError(followRedirects(peer.exchange, query()))
      assert.equal(error.reason, 'invalid-redirect')
      assert.match(error.message, reason)
      assert.deepEqual(error.hops, ['a@x'])
      assert.deepEqual(peer.targets(), ['a@x'], 'the redirect target received something')
    })
  }

  it('does not follow an invalid redirect further down the chain', async () => {
    const peer = fakePeer({
      'a@x': {answer: 'redirect', to: 'b@x'},
      'b@x': {
        answer: 'redirect',
        to: 'c@x',
        tamper: (iq) => {
          iq.attrs.id = 'other'
        },
      },
      'c@x': {answer: 'result'},
    })
    const error = await redirectError(followRedirects(peer.exchange, query()))
    assert.equal(error.reason, 'invalid-redirect')
    assert.match(error.message, /from b@x/)
    assert.deepEqual(peer.targets(), ['a@x', 'b@x'])
  })

  it('checks each hop against what was sent last, attribute for attribute', async () => {
    // The original carries xml:lang; b's redirect drops it: refused although a's redirect was fine.
    const peer = fakePeer({
      'a@x': {answer: 'redirect', to: 'b@x'},
      'b@x': {
        answer: 'redirect',
        to: 'c@x',
        tamper: (iq) => {
          delete iq.attrs['xml:lang']
        },
      },
      'c@x': {answer: 'result'},
    })
    const iq = query()
    iq.attrs['xml:lang'] = 'en'
    const error = await redirectError(followRedirects(peer.exchange, iq))
    assert.equal(error.reason, 'invalid-redirect')
    assert.deepEqual(peer.targets(), ['a@x', 'b@x'])
    assert.equal(peer.received[1].attrs['xml:lang'], 'en')
  })

  it('does not follow a 302 answer to a set', async () => {
    const peer = fakePeer({'a@x': {answer: 'redirect', to: 'b@x'}, 'b@x': {answer: 'result'}})
    const error = await redirectError(followRedirects(peer.exchange, query('set')))
    assert.equal(error.reason, 'invalid-redirect')
    assert.match(error.message, /only get queries are redirected/)
    assert.deepEqual(peer.targets(), ['a@x'])
  })

  it('leaves the iq it was given untouched', async () => {
    const peer = fakePeer(chain(['a@x', 'b@x']))
    const iq = query()
    const before = iq.toString()
    await followRedirects(peer.exchange, iq)
    assert.equal(iq.toString(), before)
  })

  it('passes on a failure of the exchange itself', async () => {
    const failing = async (): Promise<Element> => {
      throw new Error('timeout')
    }
    await assert.rejects(followRedirects(failing, query()), /timeout/)
  })
})
