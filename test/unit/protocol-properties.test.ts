import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'
import xml, {type Element} from '@xmpp/xml'

import {
  checkRedirect,
  formatServer,
  NS_CXFR,
  NS_SRVXFR,
  parseDomain,
  parseServer,
  parseTransferIq,
  type ServerAddress,
  TRANSFER_NAMESPACES,
} from '../../src/protocol/index.js'

// Generated inputs per property; together at least 100,000.
const RUNS_SERVER_ASCII_STRINGS = 15_000
const RUNS_SERVER_UNICODE_STRINGS = 10_000
const RUNS_SERVER_ADDRESS_LIKE_STRINGS = 15_000
const RUNS_VALID_ADDRESSES = 20_000
const RUNS_INVALID_ADDRESSES = 15_000
const RUNS_TRANSFER_IQ_TREES = 12_000
const RUNS_REDIRECT_ENVELOPES = 15_000
const TOTAL_RUNS =
  RUNS_SERVER_ASCII_STRINGS +
  RUNS_SERVER_UNICODE_STRINGS +
  RUNS_SERVER_ADDRESS_LIKE_STRINGS +
  RUNS_VALID_ADDRESSES +
  RUNS_INVALID_ADDRESSES +
  RUNS_TRANSFER_IQ_TREES +
  RUNS_REDIRECT_ENVELOPES

/** Inputs the properties actually checked, as fast-check reports them (skipped ones not counted). */
let checked = 0

function run<T>(t: {diagnostic(message: string): void}, name: string, numRuns: number, property: fc.IProperty<T>): void {
  const started = performance.now()
  const details = fc.check(property, {numRuns})
  if (details.failed) throw new Error(fc.defaultReportMessage(details))
  checked += details.numRuns
  t.diagnostic(`${name}: numRuns=${details.numRuns} (${Math.round(performance.now() - started)} ms)`)
}

// ---------------------------------------------------------------- (a) parseServer on any string

/** Whatever parseServer accepts, it writes back to a string that parses to the same value. */
function acceptedRoundTrips(text: string): boolean {
  const parsed = parseServer(text)
  if (!parsed.ok) {
    assert.equal(typeof parsed.reason, 'string')
    assert.ok(parsed.reason.length > 0)
    return false
  }
  const formatted = formatServer(parsed.value)
  assert.deepEqual(parseServer(formatted), {ok: true, value: parsed.value}, `${JSON.stringify(text)} → ${JSON.stringify(formatted)}`)
  return true
}

const addressCharacters = [...'0123456789abcdefABCDEF.:[]-_% xyz\t', '05', '255', '256', '65535', '65536', '::', '.org']

describe('parseServer on arbitrary strings', () => {
  it('never throws, and what it accepts re-formats to the same value', (t) => {
    run(
      t,
      'printable ASCII strings',
      RUNS_SERVER_ASCII_STRINGS,
      fc.property(fc.string({maxLength: 40}), (text) => {
        acceptedRoundTrips(text)
      }),
    )
    run(
      t,
      'full Unicode strings',
      RUNS_SERVER_UNICODE_STRINGS,
      fc.property(fc.string({unit: 'binary', maxLength: 40}), (text) => {
        acceptedRoundTrips(text)
      }),
    )

    let accepted = 0
    run(
      t,
      'address-like strings',
      RUNS_SERVER_ADDRESS_LIKE_STRINGS,
      fc.property(fc.string({unit: fc.constantFrom(...addressCharacters), maxLength: 12}), (text) => {
        if (acceptedRoundTrips(text)) accepted++
      }),
    )
    // The round trip above is only worth something if the generator reaches the accepting paths.
    t.diagnostic(`address-like strings accepted: ${accepted}`)
    assert.ok(accepted > RUNS_SERVER_ADDRESS_LIKE_STRINGS / 20, `only ${accepted} address-like strings were accepted`)
  })
})

// ---------------------------------------------------------------- (b) valid addresses, (c) invalid ones

const octet = fc.integer({min: 0, max: 255})
const ipv4 = fc.tuple(octet, octet, octet, octet).map((octets) => octets.join('.'))
const port = fc.option(fc.integer({min: 1, max: 65535}), {nil: undefined})
// Written as text, a DNS name is at most 253 characters (255 octets on the wire); fc.domain allows 255.
const hostName = fc.oneof(
  fc.domain(),
  fc.domain({size: 'medium'}).filter((name) => name.length <= 253),
)

const validAddress: fc.Arbitrary<{text: string; expected: ServerAddress}> = fc.oneof(
  fc.tuple(ipv4, port).map(([host, p]) => ({text: p === undefined ? host : `${host}:${p}`, expected: withPort({kind: 'ipv4', host}, p)})),
  fc.tuple(fc.ipV6(), port).map(([host, p]) => ({text: p === undefined ? `[${host}]` : `[${host}]:${p}`, expected: withPort({kind: 'ipv6', host}, p)})),
  fc.tuple(fc.mixedCase(hostName), port).map(([host, p]) => ({
    text: p === undefined ? host : `${host}:${p}`,
    expected: withPort({kind: 'hostname', host: host.toLowerCase()}, p),
  })),
)

function withPort(address: ServerAddress, port: number | undefined): ServerAddress {
  return port === undefined ? address : {...address, port}
}

/** An invalid address and a word its refusal must contain. */
const invalidAddress: fc.Arbitrary<{text: string; reason: RegExp}> = fc.oneof(
  // port 0, above 65535, or with a leading zero
  fc
    .tuple(
      fc.oneof(
        ipv4,
        hostName,
        fc.ipV6().map((v6) => `[${v6}]`),
      ),
      fc.oneof(
        fc.constant('0'),
        fc.integer({min: 65536, max: 2 ** 31}).map(String),
        fc.integer({min: 1, max: 65535}).map((p) => `0${p}`),
      ),
    )
    .map(([host, p]) => ({text: `${host}:${p}`, reason: /port ".*" is not a number from 1 to 65535/})),
  // an octet above 255
  fc.tuple(fc.array(octet, {minLength: 4, maxLength: 4}), fc.nat(3), fc.integer({min: 256, max: 99_999}), port).map(([octets, index, big, p]) => {
    const host = octets.map((o, i) => (i === index ? big : o)).join('.')
    return {text: p === undefined ? host : `${host}:${p}`, reason: /each number is 0–255/}
  }),
  // IPv6 without brackets
  fc.tuple(fc.ipV6(), port).map(([v6, p]) => ({text: p === undefined ? v6 : `${v6}:${p}`, reason: /write it in brackets/})),
  // a label longer than 63 characters
  fc.tuple(hostName, fc.stringMatching(/^[a-z0-9]{64,80}$/), port).map(([name, label, p]) => {
    const host = `${label}.${name}`
    return {text: p === undefined ? host : `${host}:${p}`, reason: /63 per label|longer than 253/}
  }),
)

describe('generated addresses', () => {
  it('(b) every valid address is accepted and round-trips', (t) => {
    run(
      t,
      'valid addresses',
      RUNS_VALID_ADDRESSES,
      fc.property(validAddress, ({text, expected}) => {
        assert.deepEqual(parseServer(text), {ok: true, value: expected})
        assert.deepEqual(parseServer(formatServer(expected)), {ok: true, value: expected})
        if (expected.port === undefined && expected.kind !== 'ipv6') {
          assert.deepEqual(parseDomain(text), {ok: true, value: expected.host})
        }
      }),
    )
  })

  it('(c) every invalid address is refused, saying why', (t) => {
    run(
      t,
      'invalid addresses',
      RUNS_INVALID_ADDRESSES,
      fc.property(invalidAddress, ({text, reason}) => {
        const parsed = parseServer(text)
        assert.equal(parsed.ok, false, `accepted ${text}`)
        if (!parsed.ok) assert.match(parsed.reason, reason)
      }),
    )
  })
})

// ---------------------------------------------------------------- (d) parseTransferIq on element trees

interface Node {
  name: string
  attrs: Record<string, string>
  children: Array<Node | string>
}

const namespace = fc.constantFrom(NS_SRVXFR, NS_CXFR, 'jabber:client', 'urn:other', '')
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, {nil: undefined, freq: 2})
const nameCharacter = fc.constantFrom(...'abcdeqrsvy:_-.1')
const elementName = fc.oneof(
  fc.constantFrom('iq', 'query', 'domain', 'server', 'error', 'x:query', 'x:domain', 'x:server'),
  fc.string({unit: nameCharacter, minLength: 1, maxLength: 8}),
)
const attributes = fc
  .tuple(
    fc.record({
      xmlns: optional(namespace),
      'xmlns:x': optional(namespace),
      type: optional(fc.oneof(fc.constantFrom('set', 'get', 'result', 'error'), fc.string({maxLength: 4}))),
      id: optional(fc.string({maxLength: 4})),
    }),
    fc.dictionary(fc.string({unit: nameCharacter, minLength: 1, maxLength: 5}), fc.string({maxLength: 6}), {maxKeys: 2}),
  )
  .map(([known, extra]) => {
    const attrs: Record<string, string> = {}
    for (const [key, value] of Object.entries({...extra, ...known})) if (value !== undefined) attrs[key] = value
    return attrs
  })
const leafText = fc.oneof(
  fc.constantFrom(
    'example.org',
    'Example.ORG',
    'node2.example.org:5222',
    '203.0.113.7',
    '[2001:db8::1]:5223',
    '2001:db8::1',
    'example.org:0',
    '',
    ' ',
    ' example.org\n',
    '256.1.1.1',
    'bad_name',
  ),
  fc.domain(),
  fc.string({maxLength: 12}),
)

const tree = fc.letrec<{node: Node; child: Node | string}>((tie) => ({
  node: fc.record({
    name: elementName,
    attrs: attributes,
    children: fc.array(tie('child'), {maxLength: 4, depthIdentifier: 'tree'}),
  }),
  child: fc.oneof({depthSize: 'small', depthIdentifier: 'tree'}, leafText, tie('node')),
})).node

/** Mostly well-formed transfers with a few things wrong, so that acceptance is common too. */
const nearTransfer: fc.Arbitrary<Node> = (() => {
  const validText = fc.constantFrom(
    'example.org',
    'Example.ORG',
    'node2.example.org',
    'node2.example.org:5222',
    '203.0.113.7',
    '[2001:db8::1]:5223',
    ' example.org\n',
  )
  const leaf = (name: fc.Arbitrary<string>) =>
    fc.record({
      name,
      attrs: fc.oneof({weight: 6, arbitrary: fc.constant({})}, {weight: 1, arbitrary: attributes}),
      children: fc.oneof({weight: 6, arbitrary: validText.map((text) => [text])}, {weight: 1, arbitrary: fc.array(leafText, {maxLength: 2})}),
    })
  const extra = fc.oneof(leaf(elementName), leaf(fc.constantFrom('domain', 'server')), leafText)
  const queryChildren = fc
    .tuple(leaf(fc.constant('domain')), leaf(fc.constant('server')), fc.array(extra, {maxLength: 1}), fc.nat(2))
    .map(([domain, server, extras, order]) => {
      const children: Array<Node | string> = order === 0 ? [domain, server] : [server, domain]
      if (order === 2) children.splice(1, 0, ...extras)
      return children
    })
  const query = fc.record({
    name: fc.oneof({weight: 8, arbitrary: fc.constant('query')}, {weight: 1, arbitrary: elementName}),
    attrs: fc.record({xmlns: fc.oneof({weight: 8, arbitrary: fc.constantFrom(NS_SRVXFR, NS_CXFR)}, {weight: 1, arbitrary: namespace})}),
    children: queryChildren,
  })
  return fc.record({
    name: fc.oneof({weight: 12, arbitrary: fc.constant('iq')}, {weight: 1, arbitrary: elementName}),
    attrs: fc.record({
      type: fc.oneof({weight: 8, arbitrary: fc.constant('set')}, {weight: 1, arbitrary: fc.constantFrom('get', 'result', 'error', '')}),
      to: fc.constant('user@example.org/home'),
      id: fc.string({maxLength: 4}),
    }),
    children: fc.oneof({weight: 8, arbitrary: query.map((q) => [q])}, {weight: 1, arbitrary: fc.array(fc.oneof(query, leafText), {maxLength: 3})}),
  })
})()

function toElement(node: Node): Element {
  return xml(node.name, {...node.attrs}, ...node.children.map((child) => (typeof child === 'string' ? child : toElement(child))))
}

/** The namespace an element is in, by the XML Namespaces rules, found without ltx's getNS. */
function namespaceOf(element: Element): string | undefined {
  const colon = element.name.indexOf(':')
  const attribute = colon === -1 ? 'xmlns' : `xmlns:${element.name.slice(0, colon)}`
  for (let at: Element | null = element; at; at = at.parent) {
    if (at.attrs[attribute]) return at.attrs[attribute]
  }
  return undefined
}

function localName(element: Element): string {
  return element.name.slice(element.name.indexOf(':') + 1)
}

/** An independent statement of what a transfer iq is; returns what it must parse to, or undefined. */
function expectedTransfer(stanza: Element) {
  if (stanza.name !== 'iq' || stanza.attrs.type !== 'set') return undefined
  const payload = stanza.children.filter((child): child is Element => typeof child !== 'string')
  if (payload.length !== 1) return undefined
  const query = payload[0]
  const ns = query.attrs.xmlns
  if (query.name !== 'query' || !TRANSFER_NAMESPACES.some((transfer) => transfer === ns)) return undefined
  const inQuery = (name: string) =>
    query.children.filter((child): child is Element => typeof child !== 'string' && localName(child) === name && namespaceOf(child) === ns)
  const domains = inQuery('domain')
  const servers = inQuery('server')
  if (domains.length !== 1 || servers.length !== 1) return undefined
  const domain = parseDomain(domains[0].getText().trim())
  const server = parseServer(servers[0].getText().trim())
  if (!domain.ok || !server.ok) return undefined
  return {namespace: ns, domain: domain.value, server: server.value}
}

describe('(d) parseTransferIq on element trees', () => {
  it('never throws, and accepts exactly the valid transfer iqs', (t) => {
    let accepted = 0
    run(
      t,
      'element trees',
      RUNS_TRANSFER_IQ_TREES,
      fc.property(fc.oneof(tree, nearTransfer), (node) => {
        const stanza = toElement(node)
        const parsed = parseTransferIq(stanza)
        const expected = expectedTransfer(stanza)
        if (!parsed.ok) {
          assert.ok(parsed.reason.length > 0)
          assert.equal(expected, undefined, `refused a valid transfer (${parsed.reason}): ${stanza}`)
          return
        }
        accepted++
        assert.equal(stanza.attrs.type, 'set')
        assert.equal(stanza.getChildElements().length, 1)
        assert.deepEqual(parsed.value, expected, `accepted ${stanza}`)
      }),
    )
    t.diagnostic(`element trees accepted as transfers: ${accepted}`)
    assert.ok(accepted > RUNS_TRANSFER_IQ_TREES / 20, `only ${accepted} trees were valid transfers`)
  })
})

// ---------------------------------------------------------------- (e) checkRedirect on mutated envelopes

type Mutation =
  | {kind: 'type'; value: string}
  | {kind: 'change'; pick: number; value: string}
  | {kind: 'add'; name: string; value: string}
  | {kind: 'remove'; pick: number}
  | {kind: 'to'; value: string | undefined}
  | {kind: 'xmlns'; value: string}

const attributeValue = fc.oneof(fc.constantFrom('a', 'b', '5', 'en', ''), fc.string({maxLength: 5}))
const jid = fc.constantFrom('user@server-a', 'user@server-b', 'user@server-c/work', 'server-c')
const envelope = fc
  .tuple(
    fc.record({
      id: fc.string({maxLength: 5}),
      type: fc.oneof({weight: 4, arbitrary: fc.constant('get')}, {weight: 1, arbitrary: fc.constantFrom('set', 'result', 'error', 'GET', '')}),
      to: jid,
      from: optional(jid),
      'xml:lang': optional(fc.constantFrom('en', 'fr')),
    }),
    fc.dictionary(fc.string({unit: nameCharacter, minLength: 1, maxLength: 4}), attributeValue, {maxKeys: 2}),
  )
  .map(([known, extra]) => {
    const attrs: Record<string, string> = {...extra}
    for (const [key, value] of Object.entries(known)) if (value !== undefined) attrs[key] = value
    return attrs
  })
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({kind: fc.constant('type' as const), value: fc.constantFrom('get', 'set', 'result', 'error', '')}),
  fc.record({kind: fc.constant('change' as const), pick: fc.nat(), value: attributeValue}),
  fc.record({
    kind: fc.constant('add' as const),
    name: fc.oneof(fc.constantFrom('id', 'from', 'type', 'xml:lang', 'extra'), fc.string({unit: nameCharacter, minLength: 1, maxLength: 4})),
    value: attributeValue,
  }),
  fc.record({kind: fc.constant('remove' as const), pick: fc.nat()}),
  fc.record({kind: fc.constant('to' as const), value: fc.option(fc.oneof(jid, fc.constant('')), {nil: undefined})}),
  fc.record({kind: fc.constant('xmlns' as const), value: fc.constantFrom('jabber:client', 'jabber:server', '')}),
)

function mutate(original: Record<string, string>, mutations: Mutation[]): Record<string, string | undefined> {
  const attrs: Record<string, string | undefined> = {...original, to: 'user@server-c'}
  for (const change of mutations) {
    const others = Object.keys(attrs).filter((name) => name !== 'to' && attrs[name] !== undefined)
    if (change.kind === 'type') attrs.type = change.value
    else if (change.kind === 'change' && others.length > 0) attrs[others[change.pick % others.length]] = change.value
    else if (change.kind === 'add' && change.name !== 'to') attrs[change.name] = change.value
    else if (change.kind === 'remove' && others.length > 0) delete attrs[others[change.pick % others.length]]
    else if (change.kind === 'to') attrs.to = change.value
    else if (change.kind === 'xmlns') attrs.xmlns = change.value
  }
  return attrs
}

/** The seed's three conditions, stated over plain attribute maps. */
function redirectIsValid(original: Record<string, string | undefined>, redirected: Record<string, string | undefined>): boolean {
  const present = (attrs: Record<string, string | undefined>) =>
    Object.keys(attrs).filter((name) => attrs[name] !== undefined && name !== 'to' && name !== 'xmlns')
  const names = new Set([...present(original), ...present(redirected)])
  return original.type === 'get' && redirected.type === 'get' && Boolean(redirected.to) && [...names].every((name) => original[name] === redirected[name])
}

describe('(e) checkRedirect on mutated envelopes', () => {
  it('accepts exactly the redirects that keep all three rules', (t) => {
    let accepted = 0
    run(
      t,
      'redirect envelopes',
      RUNS_REDIRECT_ENVELOPES,
      fc.property(envelope, fc.array(mutation, {maxLength: 3}), fc.constantFrom('302', '302', '302', '404'), (original, mutations, code) => {
        const redirected = mutate(original, mutations)
        const sent = xml('iq', {...original}, xml('query', {xmlns: 'jabber:iq:browse'}))
        const answer = xml(
          'iq',
          {type: 'error', id: original.id},
          xml('query', {xmlns: 'jabber:iq:browse'}),
          xml('error', {code}, xml('iq', {...redirected}, xml('query', {xmlns: 'jabber:iq:browse'}))),
        )
        const check = checkRedirect(sent, answer)
        const valid = code === '302' && redirectIsValid(original, redirected)
        assert.equal(check.ok, valid, `${sent} answered ${answer}: ${check.ok ? 'accepted' : check.reason}`)
        if (check.ok) {
          accepted++
          assert.equal(check.redirected.attrs.id, original.id)
        } else {
          assert.ok(check.reason.length > 0)
        }
      }),
    )
    t.diagnostic(`redirects accepted: ${accepted}`)
    assert.ok(accepted > RUNS_REDIRECT_ENVELOPES / 20, `only ${accepted} redirects were valid`)
  })
})

// Runs after the properties above (node:test runs a file's top-level tests in order): what
// they checked, not what the constants promise. A property dropped, skipped or cut short fails it.
it(`checked ${TOTAL_RUNS} generated inputs in all, at least 100,000`, (t) => {
  t.diagnostic(`inputs checked: ${checked}`)
  assert.equal(checked, TOTAL_RUNS)
  assert.ok(checked >= 100_000)
})
