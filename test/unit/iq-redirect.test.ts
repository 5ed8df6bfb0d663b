import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import xml, {type Element} from '@xmpp/xml'
import parse from '@xmpp/xml/lib/parse.js'

import {checkRedirect, findRedirectedIq, isRedirect, MAX_REDIRECTS} from '../../src/protocol/index.js'

const original = parse(`<iq id='5' type='get' from='user@server-A' to='user@server-B'><query xmlns='jabber:iq:browse'/></iq>`)

/** B's answer to `original`: the original payload, then `<error code='302'>` carrying `embedded`. */
function redirectAnswer(embedded: string | undefined, code = '302'): Element {
  return parse(`<iq type='error' id='5' from='user@server-B' to='user@server-A'>
  <query xmlns='jabber:iq:browse'/>
  <error code='${code}'>${embedded ?? ''}</error>
</iq>`)
}

function refusal(sent: Element, answer: Element): string {
  const check = checkRedirect(sent, answer)
  assert.equal(check.ok, false, 'an invalid redirect was accepted')
  return check.ok ? '' : check.reason
}

describe('checkRedirect accepts', () => {
  it('a redirect that changes only the destination', () => {
    const answer = redirectAnswer(`<iq id='5' type='get' from='user@server-A' to='user@server-C'><query xmlns='jabber:iq:browse'/></iq>`)
    const check = checkRedirect(original, answer)
    assert.ok(check.ok, check.ok ? '' : check.reason)
    assert.equal(check.redirected.attrs.to, 'user@server-C')
    assert.equal(check.redirected.attrs.id, '5')
    assert.equal(check.redirected.getChild('query')?.attrs.xmlns, 'jabber:iq:browse')
  })

  it('a redirect that changes the payload as well (client-client data to client-storage)', () => {
    const answer = redirectAnswer(`<iq id='5' type='get' from='user@server-A' to='user@server-B'><query xmlns='storage:client:app-specific'/></iq>`)
    const check = checkRedirect(original, answer)
    assert.ok(check.ok, check.ok ? '' : check.reason)
    assert.equal(check.redirected.getChild('query')?.attrs.xmlns, 'storage:client:app-specific')
  })

  it('an embedded iq that declares its namespace (a parser may add it)', () => {
    const answer = redirectAnswer(`<iq xmlns='jabber:client' id='5' type='get' from='user@server-A' to='user@server-C'/>`)
    assert.equal(checkRedirect(original, answer).ok, true)
  })

  it('an original that declares its namespace while the embedded iq does not', () => {
    const sent = parse(`<iq xmlns='jabber:client' id='5' type='get' to='user@server-B'/>`)
    assert.equal(checkRedirect(sent, redirectAnswer(`<iq id='5' type='get' to='user@server-C'/>`)).ok, true)
  })

  it('the error as the first child, before the original payload', () => {
    const answer = parse(
      `<iq type='error' id='5'><error code='302'><iq id='5' type='get' from='user@server-A' to='user@server-C'/></error><query xmlns='jabber:iq:browse'/></iq>`,
    )
    assert.equal(checkRedirect(original, answer).ok, true)
  })
})

describe('checkRedirect refuses', () => {
  it('rule 1 broken: the original query is a set', () => {
    const sent = parse(`<iq id='5' type='set' from='user@server-A' to='user@server-B'/>`)
    const answer = redirectAnswer(`<iq id='5' type='set' from='user@server-A' to='user@server-C'/>`)
    assert.match(refusal(sent, answer), /only get queries are redirected, this one is 'set'/)
  })

  it('rule 1 broken, even when the redirected query is a get', () => {
    const sent = parse(`<iq id='5' type='set' from='user@server-A' to='user@server-B'/>`)
    const answer = redirectAnswer(`<iq id='5' type='get' from='user@server-A' to='user@server-C'/>`)
    assert.match(refusal(sent, answer), /only get queries are redirected/)
  })

  for (const type of ['set', 'result']) {
    it(`rule 2 broken: the redirected query is a ${type}`, () => {
      const answer = redirectAnswer(`<iq id='5' type='${type}' from='user@server-A' to='user@server-C'/>`)
      assert.match(refusal(original, answer), new RegExp(`the redirected query is '${type}', not get`))
    })
  }

  it('rule 2 broken: the redirected query has no type', () => {
    const answer = redirectAnswer(`<iq id='5' from='user@server-A' to='user@server-C'/>`)
    assert.match(refusal(original, answer), /the redirected query is 'undefined', not get/)
  })

  const envelopes: Array<[string, string, string]> = [
    ['the id changed', `<iq id='6' type='get' from='user@server-A' to='user@server-C'/>`, `changed 'id'`],
    ['the id removed', `<iq type='get' from='user@server-A' to='user@server-C'/>`, `changed 'id'`],
    ['from changed', `<iq id='5' type='get' from='user@server-X' to='user@server-C'/>`, `changed 'from'`],
    ['from removed', `<iq id='5' type='get' to='user@server-C'/>`, `changed 'from'`],
    ['an attribute added', `<iq id='5' type='get' from='user@server-A' to='user@server-C' xml:lang='fr'/>`, `changed 'xml:lang'`],
    ['two attributes changed, both named', `<iq id='7' type='get' from='user@server-X' to='user@server-C'/>`, `changed 'from', 'id'`],
  ]
  for (const [what, embedded, reason] of envelopes) {
    it(`rule 3 broken: ${what}`, () => {
      assert.ok(refusal(original, redirectAnswer(embedded)).includes(`the redirected envelope ${reason}`))
    })
  }

  it('rule 3 broken: an attribute of the original removed', () => {
    const sent = parse(`<iq id='5' type='get' to='user@server-B' xml:lang='en'/>`)
    assert.match(refusal(sent, redirectAnswer(`<iq id='5' type='get' to='user@server-C'/>`)), /changed 'xml:lang'/)
  })

  it('a redirected query with no destination', () => {
    const answer = redirectAnswer(`<iq id='5' type='get' from='user@server-A'/>`)
    assert.match(refusal(original, answer), /names no destination \(to\)/)
  })

  it('a redirected query with an empty destination', () => {
    const answer = redirectAnswer(`<iq id='5' type='get' from='user@server-A' to=''/>`)
    assert.match(refusal(original, answer), /names no destination/)
  })

  it('a 302 error with no embedded iq', () => {
    assert.match(refusal(original, redirectAnswer(undefined)), /carries no redirected <iq>/)
  })

  it('a 302 error whose iq is nested deeper', () => {
    assert.match(
      refusal(original, redirectAnswer(`<text><iq id='5' type='get' from='user@server-A' to='user@server-C'/></text>`)),
      /carries no redirected <iq>/,
    )
  })

  it('an error of another code', () => {
    const answer = redirectAnswer(`<iq id='5' type='get' from='user@server-A' to='user@server-C'/>`, '404')
    assert.match(refusal(original, answer), /not a 302 redirect/)
  })

  it('a result', () => {
    assert.match(refusal(original, parse(`<iq type='result' id='5'/>`)), /not a 302 redirect/)
  })
})

describe('isRedirect and findRedirectedIq', () => {
  it('see a 302 error, whatever it carries', () => {
    assert.equal(isRedirect(redirectAnswer(undefined)), true)
    assert.equal(findRedirectedIq(redirectAnswer(undefined)), undefined)
    assert.equal(findRedirectedIq(redirectAnswer(`<iq id='5' type='get' to='c'/>`))?.attrs.to, 'c')
  })

  it('ignore other answers', () => {
    for (const answer of [
      redirectAnswer(`<iq id='5' type='get' to='c'/>`, '404'),
      xml('iq', {type: 'result'}),
      xml('iq', {type: 'error'}),
      xml('message', {type: 'error'}, xml('error', {code: '302'}, xml('iq', {type: 'get', to: 'c'}))),
    ]) {
      assert.equal(isRedirect(answer), false)
      assert.equal(findRedirectedIq(answer), undefined)
    }
  })

  it('stop after three redirects, four tries', () => {
    assert.equal(MAX_REDIRECTS, 3)
  })
})
