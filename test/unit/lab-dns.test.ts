// The lab's DNS server (test/lab/dns-server.ts): what it answers, without a socket.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import dnsPacket, {type Packet} from 'dns-packet'

import {answerFor, parseRecords, respond, type SrvNode, type Zone} from '../lab/dns-server.js'

const NODES: SrvNode[] = [
  {index: 1, port: 25221, inService: true},
  {index: 2, port: 25222, inService: true},
  {index: 3, port: 25223, inService: false},
]

function zone(nodes = NODES, random = () => 0.5): Zone {
  return {domain: 'example.test', nodes: () => nodes, random}
}

function srvPorts(z: Zone): number[] {
  const answers = answerFor(z, {type: 'SRV', name: '_xmpp-client._tcp.example.test'}) ?? []
  return answers.map((a) => (a.type === 'SRV' ? a.data.port : -1))
}

describe('parseRecords', () => {
  it('reads INDEX PORT in|out lines and skips anything else', () => {
    assert.deepEqual(parseRecords('1 25221 in\n# comment\n2 25222 out\nbad line\n3 x in\n4 25224 maybe\n'), [
      {index: 1, port: 25221, inService: true},
      {index: 2, port: 25222, inService: false},
    ])
  })
})

describe('answerFor', () => {
  it('answers the SRV name with the nodes in service only, TTL 0, equal priority and weight, target localhost', () => {
    const answers = answerFor(zone(), {type: 'SRV', name: '_xmpp-client._tcp.example.test'})!
    assert.equal(answers.length, 2)
    for (const answer of answers) {
      assert.equal(answer.type, 'SRV')
      if (answer.type !== 'SRV') continue
      assert.equal(answer.ttl, 0)
      assert.equal(answer.data.target, 'localhost')
      assert.equal(answer.data.priority, 10)
      assert.equal(answer.data.weight, 10)
    }
    assert.deepEqual(srvPorts(zone()).sort(), [25221, 25222])
  })

  it('shuffles the order with the random source it is given', () => {
    const three = NODES.map((n) => ({...n, inService: true}))
    assert.deepEqual(srvPorts(zone(three, () => 0)), [25222, 25223, 25221])
    assert.deepEqual(srvPorts(zone(three, () => 0.999)), [25221, 25222, 25223])
  })

  it('gives an empty answer when every node is out of service (the name still exists)', () => {
    assert.deepEqual(answerFor(zone(NODES.map((n) => ({...n, inService: false}))), {type: 'SRV', name: '_xmpp-client._tcp.example.test'}), [])
  })

  it('matches names case-insensitively, with or without the final dot', () => {
    assert.equal(srvPorts({...zone(), domain: 'Example.TEST'}).length, 2)
    assert.equal((answerFor(zone(), {type: 'SRV', name: '_XMPP-Client._tcp.example.test.'}) ?? []).length, 2)
  })

  it('resolves localhost and the domain to 127.0.0.1 for A only (the lab has no IPv6 listener)', () => {
    for (const name of ['localhost', 'example.test']) {
      const a = answerFor(zone(), {type: 'A', name})!
      assert.deepEqual(
        a.map((x) => (x.type === 'A' ? x.data : x.type)),
        ['127.0.0.1'],
        name,
      )
      assert.deepEqual(answerFor(zone(), {type: 'AAAA', name}), [], name)
    }
  })

  it('does not know other names (NXDOMAIN), e.g. xmpps-client or another domain', () => {
    assert.equal(answerFor(zone(), {type: 'SRV', name: '_xmpps-client._tcp.example.test'}), null)
    assert.equal(answerFor(zone(), {type: 'A', name: 'other.test'}), null)
  })
})

describe('respond', () => {
  it('sets NXDOMAIN (rcode 3) only when no question names something it knows, keeps the id, and encodes', () => {
    const query: Packet = {type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{type: 'A', name: 'nowhere.test'}]}
    const reply = dnsPacket.decode(dnsPacket.encode(respond(zone(), query)))
    assert.equal(reply.id, 4242)
    assert.equal((reply.flags ?? 0) & 15, 3, 'NXDOMAIN')
    const known = dnsPacket.decode(dnsPacket.encode(respond(zone(), {...query, questions: [{type: 'SRV', name: '_xmpp-client._tcp.example.test'}]})))
    assert.equal((known.flags ?? 0) & 15, 0, 'NOERROR')
    assert.equal(known.answers?.length, 2)
    assert.ok(((known.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0)
  })
})
