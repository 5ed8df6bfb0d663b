import assert from 'node:assert/strict'
import {test} from 'node:test'

import xml, {type Element} from '@xmpp/xml'
import parse from '@xmpp/xml/lib/parse.js'

import {ConnectionLostError, IqTimeoutError} from '../../src/connection/iq-exchange.js'
import {ackOf, adminPacketSender, domainPacketSender} from '../../src/engine/packet-senders.js'
import {ackToText} from '../../src/model/ack.js'
import type {TransferNamespace} from '../../src/protocol/index.js'
import type {PlannedTransfer} from '../../src/model/transfer.js'
import {NS_CXFR, NS_SRVXFR, parseTransferIq} from '../../src/protocol/index.js'

const item: PlannedTransfer = {
  jid: 'alice@example.test/phone',
  bare: 'alice@example.test',
  resource: 'phone',
  from: 'node-1',
  target: {name: 'node-2', address: {kind: 'ipv4', host: '10.0.0.2', port: 5222}, isNode: true},
}
const result = (iq: Element) => xml('iq', {type: 'result', id: iq.attrs.id})
const refusal = (condition: string) => (iq: Element) =>
  xml('iq', {type: 'error', id: iq.attrs.id}, xml('error', {type: 'cancel'}, xml(condition, {xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas'})))

test('the admin sender sends a valid transfer packet to the full JID and reads the answer', async () => {
  const sent: Element[] = []
  const sender = adminPacketSender(
    async (_node, iq) => {
      sent.push(iq)
      return result(iq)
    },
    {domain: 'example.test', namespaces: [NS_SRVXFR], ackTimeoutMs: 1000},
  )
  assert.equal(ackToText(await sender.send(item)), 'result')
  assert.equal(sent[0].attrs.to, item.jid)
  const parsed = parseTransferIq(sent[0])
  assert.ok(parsed.ok)
  assert.deepEqual(parsed.value, {namespace: NS_SRVXFR, domain: 'example.test', server: item.target.address})
})

test('both namespaces: one result is enough; otherwise the refusal is kept', async () => {
  const cxfrOnly = adminPacketSender(async (_node, iq) => (iq.getChild('query', NS_CXFR) ? result(iq) : refusal('service-unavailable')(iq)), {
    domain: 'example.test',
    namespaces: [NS_SRVXFR, NS_CXFR],
    ackTimeoutMs: 1000,
  })
  assert.equal(ackToText(await cxfrOnly.send(item)), 'result')
  const neither = adminPacketSender(async (_node, iq) => refusal('feature-not-implemented')(iq), {
    domain: 'example.test',
    namespaces: [NS_SRVXFR, NS_CXFR],
    ackTimeoutMs: 1000,
  })
  assert.equal(ackToText(await neither.send(item)), 'error:feature-not-implemented')
})

test('no answer, or the link lost with the answer, is a timeout; anything else is the run failing', async () => {
  const options = {domain: 'example.test', namespaces: [NS_SRVXFR] as TransferNamespace[], ackTimeoutMs: 1000}
  assert.equal(
    ackToText(
      await adminPacketSender(async () => {
        throw new IqTimeoutError('x', 1000)
      }, options).send(item),
    ),
    'timeout',
  )
  assert.equal(
    ackToText(
      await adminPacketSender(async () => {
        throw new ConnectionLostError()
      }, options).send(item),
    ),
    'timeout',
  )
  await assert.rejects(
    adminPacketSender(async () => {
      throw new Error('boom')
    }, options).send(item),
    /boom/,
  )
})

test('sent as the domain: from is the bare domain, and the ack cannot be observed', async () => {
  const calls: Array<{stanza: string; from: string; to: string}> = []
  const sender = domainPacketSender(
    async (stanza, from, to) => {
      calls.push({stanza, from, to})
    },
    {domain: 'example.test', namespaces: [NS_SRVXFR, NS_CXFR]},
  )
  assert.equal(sender.acksObservable, false)
  assert.equal(ackToText(await sender.send(item)), 'not-observable')
  assert.equal(calls.length, 2)
  for (const call of calls) {
    const iq = parse(call.stanza)
    assert.equal(iq.attrs.from, 'example.test')
    assert.equal(call.to, item.jid)
    assert.ok(parseTransferIq(iq).ok)
  }
})

test('ackOf names the stanza-error condition, or undefined-condition', () => {
  assert.equal(ackToText(ackOf(xml('iq', {type: 'result'}))), 'result')
  assert.equal(ackToText(ackOf(refusal('forbidden')(xml('iq', {id: '1'})))), 'error:forbidden')
  assert.equal(
    ackToText(ackOf(xml('iq', {type: 'error'}, xml('error', {}, xml('text', {xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas'}, 'why'))))),
    'error:undefined-condition',
  )
})
