import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import xml, {type Element} from '@xmpp/xml'
import parse from '@xmpp/xml/lib/parse.js'

import {buildTransferIq, isTransferIq, NS_CXFR, NS_SRVXFR, parseTransferIq, type TransferRequest} from '../../src/protocol/index.js'

function parsedOk(stanza: Element): TransferRequest {
  const parsed = parseTransferIq(stanza)
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason)
  return parsed.value
}

function refusal(stanza: Element | string): string {
  const parsed = parseTransferIq(typeof stanza === 'string' ? parse(stanza) : stanza)
  assert.equal(parsed.ok, false, 'a broken transfer packet was accepted')
  return parsed.ok ? '' : parsed.reason
}

/** A transfer iq in XML text, the query's children given as text. */
function transferXml(queryChildren: string, {type = 'set', ns = NS_SRVXFR} = {}): string {
  return `<iq type='${type}' from='jabber.org' to='user@jabber.org/home' id='x1'><query xmlns='${ns}'>${queryChildren}</query></iq>`
}

// The four examples of XEP-0051 v0.1 §3.4 (xsf/xeps, xep-0051.xml, 2002-10-08), verbatim.
const publishedExamples: Array<{caption: string; xmlText: string; expected: TransferRequest}> = [
  {
    caption: 'Server tells client to connect to a different server in the cluster (by ip address)',
    xmlText: `<iq type='set' from='jabber.org' to='user@jabber.org'>
  <query xmlns='jabber:iq:srvxfr'>
    <domain>jabber.org</domain>
    <server>123.123.123.122</server>
  </query>
</iq>`,
    expected: {namespace: NS_SRVXFR, domain: 'jabber.org', server: {kind: 'ipv4', host: '123.123.123.122'}},
  },
  {
    caption: 'Server tells client to connect to a different server in the cluster (by domain name)',
    xmlText: `<iq type='set' from='jabber.org' to='user@jabber.org'>
  <query xmlns='jabber:iq:srvxfr'>
    <domain>jabber.org</domain>
    <server>server2.jabber.org</server>
  </query>
</iq>`,
    expected: {namespace: NS_SRVXFR, domain: 'jabber.org', server: {kind: 'hostname', host: 'server2.jabber.org'}},
  },
  {
    caption: 'Server tells client to connect to a different server in the cluster (using a different port number)',
    xmlText: `<iq type='set' from='jabber.org' to='user@jabber.org'>
  <query xmlns='jabber:iq:srvxfr'>
    <domain>jabber.org</domain>
    <server>server3.jabber.org:6222</server>
  </query>
</iq>`,
    expected: {namespace: NS_SRVXFR, domain: 'jabber.org', server: {kind: 'hostname', host: 'server3.jabber.org', port: 6222}},
  },
  {
    caption: 'Server tells client to simply reconnect',
    xmlText: `<iq type='set' from='jabber.org' to='user@jabber.org'>
  <query xmlns='jabber:iq:srvxfr'>
    <domain>jabber.org</domain>
    <server>jabber.org</server>
  </query>
</iq>`,
    expected: {namespace: NS_SRVXFR, domain: 'jabber.org', server: {kind: 'hostname', host: 'jabber.org'}},
  },
]

describe('the four examples of XEP-0051 v0.1', () => {
  for (const {caption, xmlText, expected} of publishedExamples) {
    it(caption, () => {
      const stanza = parse(xmlText)
      assert.ok(isTransferIq(stanza))
      const request = parsedOk(stanza)
      assert.deepEqual(request, expected)

      const envelope = {to: stanza.attrs.to as string, from: stanza.attrs.from, id: 'xfr-1'}
      const rebuilt = buildTransferIq(envelope, request)
      const reparsed = parse(rebuilt.toString())
      assert.deepEqual(parsedOk(reparsed), expected)
      assert.deepEqual(reparsed.attrs, {type: 'set', to: 'user@jabber.org', from: 'jabber.org', id: 'xfr-1'})
      // Same packet as published, but for the id we add and the white space between elements.
      const query = reparsed.getChild('query', NS_SRVXFR)
      assert.equal(query?.getChildText('domain'), stanza.getChild('query')?.getChildText('domain'))
      assert.equal(query?.getChildText('server'), stanza.getChild('query')?.getChildText('server'))
    })
  }

  it('"simply reconnect": the server is the domain', () => {
    const request = parsedOk(parse(publishedExamples[3].xmlText))
    assert.equal(request.server.host, request.domain)
    assert.equal(request.server.port, undefined)
  })
})

describe('buildTransferIq / parseTransferIq round trip', () => {
  const servers: TransferRequest['server'][] = [
    {kind: 'ipv4', host: '203.0.113.7'},
    {kind: 'ipv4', host: '203.0.113.7', port: 5222},
    {kind: 'ipv6', host: '2001:db8::7'},
    {kind: 'ipv6', host: '2001:db8::7', port: 5223},
    {kind: 'hostname', host: 'node2.example.org'},
    {kind: 'hostname', host: 'node2.example.org', port: 6222},
  ]
  for (const namespace of [NS_SRVXFR, NS_CXFR] as const) {
    for (const server of servers) {
      it(`${namespace}, server ${JSON.stringify(server)}`, () => {
        const request: TransferRequest = {namespace, domain: 'example.org', server}
        const iq = buildTransferIq({to: 'alice@example.org/phone', from: 'example.org', id: 'abc'}, request)
        assert.deepEqual(parsedOk(iq), request)
        const reparsed = parse(iq.toString())
        assert.deepEqual(parsedOk(reparsed), request)
        assert.ok(isTransferIq(reparsed))
        assert.equal(reparsed.getChild('query')?.attrs.xmlns, namespace)
      })
    }
  }

  it('leaves from out when the envelope has none', () => {
    const iq = buildTransferIq(
      {to: 'alice@example.org/phone', id: 'abc'},
      {namespace: NS_CXFR, domain: 'example.org', server: {kind: 'hostname', host: 'example.org'}},
    )
    assert.deepEqual(iq.attrs, {type: 'set', to: 'alice@example.org/phone', id: 'abc'})
    assert.ok(!iq.toString().includes('from'))
  })

  it('tolerates white space around the domain and the server', () => {
    const request = parsedOk(parse(transferXml('<domain>\n  example.org\n</domain><server> 203.0.113.7:5222 </server>')))
    assert.deepEqual(request, {namespace: NS_SRVXFR, domain: 'example.org', server: {kind: 'ipv4', host: '203.0.113.7', port: 5222}})
  })

  it('reads the urn:xmpp:cxfr namespace of XEP-0051 v0.2', () => {
    const request = parsedOk(parse(transferXml('<domain>example.org</domain><server>node2.example.org</server>', {ns: NS_CXFR})))
    assert.equal(request.namespace, NS_CXFR)
  })
})

describe('parseTransferIq refuses', () => {
  const good = '<domain>example.org</domain><server>node2.example.org</server>'

  for (const type of ['get', 'result', 'error']) {
    it(`an iq of type ${type}`, () => {
      assert.match(refusal(transferXml(good, {type})), new RegExp(`type 'set', not '${type}'`))
    })
  }

  it('an iq with no type', () => {
    assert.match(refusal(`<iq to='a@b'><query xmlns='${NS_SRVXFR}'>${good}</query></iq>`), /type 'set'/)
  })

  it('a stanza that is not an iq', () => {
    assert.match(refusal(`<message type='set'><query xmlns='${NS_SRVXFR}'>${good}</query></message>`), /<message> is not an iq/)
  })

  it('two queries', () => {
    const text = `<iq type='set'><query xmlns='${NS_SRVXFR}'>${good}</query><query xmlns='${NS_CXFR}'>${good}</query></iq>`
    assert.match(refusal(text), /carries 2 children/)
  })

  it('no query', () => {
    assert.match(refusal(`<iq type='set'/>`), /carries 0 children/)
  })

  it('a query and something else', () => {
    assert.match(refusal(`<iq type='set'><query xmlns='${NS_SRVXFR}'>${good}</query><x xmlns='urn:other'/></iq>`), /carries 2 children/)
  })

  it('an unknown namespace', () => {
    assert.match(refusal(transferXml(good, {ns: 'jabber:iq:version'})), /xmlns='jabber:iq:version'> is not a transfer query/)
  })

  it('a query without namespace', () => {
    assert.match(refusal(`<iq type='set'><query>${good}</query></iq>`), /<query xmlns=''> is not a transfer query/)
  })

  it('another element in the transfer namespace', () => {
    assert.match(
      refusal(`<iq type='set'><transfer xmlns='${NS_SRVXFR}'>${good}</transfer></iq>`),
      /<transfer xmlns='jabber:iq:srvxfr'> is not a transfer query/,
    )
  })

  const bodies: Array<[string, string, RegExp]> = [
    ['a missing domain', '<server>node2.example.org</server>', /exactly one <domain>, found 0/],
    ['two domains', '<domain>example.org</domain><domain>example.net</domain><server>node2.example.org</server>', /exactly one <domain>, found 2/],
    ['a missing server', '<domain>example.org</domain>', /exactly one <server>, found 0/],
    ['two servers', `${good}<server>node3.example.org</server>`, /exactly one <server>, found 2/],
    ['an empty domain', '<domain/><server>node2.example.org</server>', /<domain>: the domain is empty/],
    ['a domain with a port', '<domain>example.org:5222</domain><server>node2.example.org</server>', /<domain>: "example.org:5222" is not a valid domain name/],
    ['an empty server', '<domain>example.org</domain><server> </server>', /<server>: the server address is empty/],
    ['a server with port 0', '<domain>example.org</domain><server>node2.example.org:0</server>', /<server>: port "0"/],
    ['an unbracketed IPv6 server', '<domain>example.org</domain><server>2001:db8::1</server>', /<server>: .*write it in brackets/],
    ['a server with an octet above 255', '<domain>example.org</domain><server>203.0.113.256</server>', /<server>: .*0–255/],
    ['a domain in a foreign namespace', `<domain xmlns='urn:other'>example.org</domain><server>node2.example.org</server>`, /exactly one <domain>, found 0/],
    ['a prefixed server with no namespace declared', `<domain>example.org</domain><x:server>node2.example.org</x:server>`, /exactly one <server>, found 0/],
  ]
  for (const [what, body, reason] of bodies) {
    it(what, () => {
      assert.match(refusal(transferXml(body)), reason)
    })
  }
})

describe('isTransferIq', () => {
  it('recognises a set carrying a query in either namespace', () => {
    for (const ns of [NS_SRVXFR, NS_CXFR]) {
      assert.equal(isTransferIq(xml('iq', {type: 'set'}, xml('query', {xmlns: ns}))), true)
    }
  })

  it('does not look inside the query: a broken transfer is still a transfer, for parseTransferIq to refuse', () => {
    const broken = xml('iq', {type: 'set'}, xml('query', {xmlns: NS_SRVXFR}))
    assert.equal(isTransferIq(broken), true)
    assert.equal(parseTransferIq(broken).ok, false)
  })

  const others: Array<[string, Element]> = [
    ['a get', xml('iq', {type: 'get'}, xml('query', {xmlns: NS_SRVXFR}))],
    ['a result', xml('iq', {type: 'result'}, xml('query', {xmlns: NS_CXFR}))],
    ['a message', xml('message', {type: 'set'}, xml('query', {xmlns: NS_SRVXFR}))],
    ['a query in another namespace', xml('iq', {type: 'set'}, xml('query', {xmlns: 'jabber:iq:roster'}))],
    ['an empty set', xml('iq', {type: 'set'})],
  ]
  for (const [what, stanza] of others) {
    it(`rejects ${what}`, () => {
      assert.equal(isTransferIq(stanza), false)
    })
  }
})
