import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {formatServer, parseDomain, parseServer, type ServerAddress} from '../../src/protocol/index.js'

const label63 = 'a'.repeat(63)
const label64 = 'a'.repeat(64)
// 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters, the longest host name DNS allows.
const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`
const name254 = `${label63}.${label63}.${label63}.${'b'.repeat(62)}`

describe('parseServer accepts', () => {
  const cases: Array<[string, string, ServerAddress]> = [
    ['an IPv4 address', '203.0.113.7', {kind: 'ipv4', host: '203.0.113.7'}],
    ['an IPv4 address with a port', '203.0.113.7:5222', {kind: 'ipv4', host: '203.0.113.7', port: 5222}],
    ['the IPv4 extremes', '0.0.0.0', {kind: 'ipv4', host: '0.0.0.0'}],
    ['255 in every octet', '255.255.255.255', {kind: 'ipv4', host: '255.255.255.255'}],
    ['a bracketed IPv6 address', '[2001:db8::1]', {kind: 'ipv6', host: '2001:db8::1'}],
    ['a bracketed IPv6 address with a port', '[2001:db8::1]:5222', {kind: 'ipv6', host: '2001:db8::1', port: 5222}],
    ['the IPv6 loopback', '[::1]', {kind: 'ipv6', host: '::1'}],
    ['an IPv4-mapped IPv6 address', '[::ffff:192.0.2.1]:6222', {kind: 'ipv6', host: '::ffff:192.0.2.1', port: 6222}],
    ['a host name', 'server3.example.org', {kind: 'hostname', host: 'server3.example.org'}],
    ['a host name with a port', 'server3.example.org:6222', {kind: 'hostname', host: 'server3.example.org', port: 6222}],
    ['a single-label host name', 'localhost', {kind: 'hostname', host: 'localhost'}],
    ['a host name in capitals, folded to lower case', 'Server3.EXAMPLE.org', {kind: 'hostname', host: 'server3.example.org'}],
    ['a 63-character label', `${label63}.example.org`, {kind: 'hostname', host: `${label63}.example.org`}],
    ['a 253-character host name', name253, {kind: 'hostname', host: name253}],
    ['inner hyphens, doubled too', 'xn--bcher-kva.example', {kind: 'hostname', host: 'xn--bcher-kva.example'}],
    ['a numeric label among others', '123.example.org', {kind: 'hostname', host: '123.example.org'}],
    ['a one-character label', 'a.b', {kind: 'hostname', host: 'a.b'}],
    ['port 1', 'example.org:1', {kind: 'hostname', host: 'example.org', port: 1}],
    ['port 65535', 'example.org:65535', {kind: 'hostname', host: 'example.org', port: 65535}],
  ]
  for (const [what, text, expected] of cases) {
    it(`${what}: ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`, () => {
      assert.deepEqual(parseServer(text), {ok: true, value: expected})
    })
  }
})

describe('parseServer refuses, saying why', () => {
  const cases: Array<[string, string, string]> = [
    ['an empty string', '', 'empty'],
    ['an octet above 255', '203.0.113.256', '0–255'],
    ['an octet with a leading zero', '203.0.113.07', 'no leading zeros'],
    ['three octets', '203.0.113', 'needs four numbers'],
    ['five octets', '1.2.3.4.5', 'needs four numbers'],
    ['a lone number', '5222', 'needs four numbers'],
    ['an unbracketed IPv6 address', '2001:db8::1', 'write it in brackets'],
    ['an unbracketed IPv6 address with what looks like a port', '2001:db8::1:5222', 'write it in brackets'],
    ['the unbracketed loopback', '::1', 'write it in brackets'],
    ['an unclosed bracket', '[2001:db8::1', 'never closes'],
    ['a bracketed IPv4 address', '[203.0.113.7]', 'is not an IPv6 address'],
    ['a bracketed host name', '[example.org]:5222', 'is not an IPv6 address'],
    ['empty brackets', '[]', 'is not an IPv6 address'],
    ['text after the brackets', '[::1]5222', 'unexpected "5222"'],
    ['a 64-character label', `${label64}.example.org`, '63 per label'],
    ['a 254-character host name', name254, 'longer than 253'],
    ['a leading hyphen', '-server.example.org', 'inner hyphens'],
    ['a trailing hyphen', 'server-.example.org', 'inner hyphens'],
    ['an underscore', 'my_server.example.org', '"my_server.example.org" is not a valid host name'],
    ['two dots', 'server..example.org', 'empty label'],
    ['a leading dot', '.example.org', 'empty label'],
    ['a trailing dot', 'example.org.', 'empty label'],
    ['a non-ASCII host name', 'bücher.example', 'not a valid host name'],
    ['port 0', 'example.org:0', 'port "0" is not a number from 1 to 65535'],
    ['port 65536', 'example.org:65536', 'port "65536"'],
    ['a port with a leading zero', 'example.org:05222', 'port "05222"'],
    ['an empty port', 'example.org:', 'port "" is not a number'],
    ['letters in the port', 'example.org:xmpp', 'port "xmpp"'],
    ['a signed port', 'example.org:+5222', 'port "+5222"'],
    ['a port on an empty host', ':5222', 'the host is empty'],
    ['an empty IPv6 port', '[::1]:', 'port ""'],
    ['an IPv6 port out of range', '[::1]:70000', 'port "70000"'],
    ['a space inside', 'server3 .example.org', 'contains white space'],
    ['a leading space', ' example.org', 'contains white space'],
    ['a trailing newline', 'example.org\n', 'contains white space'],
    ['a tab before the port', 'example.org\t:5222', 'contains white space'],
    ['a no-break space', 'example.org\u00a0', 'contains white space'],
    ['something longer than 1024 characters', 'a'.repeat(1025), 'too long'],
  ]
  for (const [what, text, reason] of cases) {
    it(`${what}: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)}`, () => {
      const parsed = parseServer(text)
      assert.equal(parsed.ok, false, `accepted ${JSON.stringify(text)}`)
      if (parsed.ok) return
      assert.ok(parsed.reason.includes(reason), `reason ${JSON.stringify(parsed.reason)} does not say ${JSON.stringify(reason)}`)
    })
  }

  it('shortens a long input in its reason', () => {
    const parsed = parseServer(`${'x'.repeat(100)}_.org`)
    assert.equal(parsed.ok, false)
    if (!parsed.ok) assert.match(parsed.reason, /^"x{57}\.\.\." is not a valid host name/)
  })
})

describe('formatServer', () => {
  const cases: Array<[ServerAddress, string]> = [
    [{kind: 'ipv4', host: '203.0.113.7'}, '203.0.113.7'],
    [{kind: 'ipv4', host: '203.0.113.7', port: 5222}, '203.0.113.7:5222'],
    [{kind: 'ipv6', host: '2001:db8::1'}, '[2001:db8::1]'],
    [{kind: 'ipv6', host: '2001:db8::1', port: 5222}, '[2001:db8::1]:5222'],
    [{kind: 'hostname', host: 'server3.example.org'}, 'server3.example.org'],
    [{kind: 'hostname', host: 'server3.example.org', port: 6222}, 'server3.example.org:6222'],
  ]
  for (const [address, text] of cases) {
    it(`writes ${text} and parses it back`, () => {
      assert.equal(formatServer(address), text)
      assert.deepEqual(parseServer(text), {ok: true, value: address})
    })
  }
})

describe('parseDomain', () => {
  const accepted: Array<[string, string]> = [
    ['example.org', 'example.org'],
    ['Example.ORG', 'example.org'],
    ['localhost', 'localhost'],
    ['203.0.113.7', '203.0.113.7'],
    ['[2001:db8::1]', '[2001:db8::1]'],
    [`${label63}.example.org`, `${label63}.example.org`],
    [name253, name253],
  ]
  for (const [text, value] of accepted) {
    it(`accepts ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`, () => {
      assert.deepEqual(parseDomain(text), {ok: true, value})
    })
  }

  it('folds case like parseServer, so "simply reconnect" compares equal', () => {
    const domain = parseDomain('Jabber.ORG')
    const server = parseServer('jabber.org')
    assert.ok(domain.ok && server.ok)
    assert.equal(domain.value, server.value.host)
  })

  const refused: Array<[string, string, string]> = [
    ['empty', '', 'the domain is empty'],
    ['with a port', 'example.org:5222', 'not a valid domain name'],
    ['an unbracketed IPv6 address', '2001:db8::1', 'not a valid domain name'],
    ['a bracketed IPv6 address with a port', '[2001:db8::1]:5222', 'not a valid domain name'],
    ['brackets around something else', '[example.org]', 'not a valid domain name'],
    ['a 64-character label', `${label64}.example.org`, '63 per label'],
    ['254 characters', name254, 'the domain name is longer than 253'],
    ['an underscore', 'my_host.example.org', '"my_host.example.org" is not a valid domain name'],
    ['white space', 'my host.example.org', '"my host.example.org" is not a valid domain name'],
    ['an empty label', 'example..org', 'empty label'],
    ['three octets', '203.0.113', 'needs four numbers'],
    ['an octet above 255', '203.0.113.300', '0–255'],
    ['longer than 1024 characters', 'a'.repeat(1025), 'the domain is too long'],
  ]
  for (const [what, text, reason] of refused) {
    it(`refuses ${what}`, () => {
      const parsed = parseDomain(text)
      assert.equal(parsed.ok, false, `accepted ${JSON.stringify(text)}`)
      if (parsed.ok) return
      assert.ok(parsed.reason.includes(reason), `reason ${JSON.stringify(parsed.reason)} does not say ${JSON.stringify(reason)}`)
    })
  }
})
