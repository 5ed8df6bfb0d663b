import assert from 'node:assert/strict'
import {test} from 'node:test'

import {configuredNode, nodeTarget, resolveTarget} from '../../src/cluster/targets.js'
import {parseConfig} from '../../src/config/load-config.js'
import {UsageError} from '../../src/errors.js'
import {checkRequest} from '../../src/operations/plan-transfer.js'
import {listSessions} from '../../src/operations/list-sessions.js'
import type {SessionDirectory} from '../../src/model/directory.js'

const config = parseConfig(`domain: example.test
admin: {jid: admin@example.test, service: 'xmpp://127.0.0.1:25221', insecurePlain: true}
directory: {type: ejabberd, api: 'http://127.0.0.1:25281/api'}
nodes:
  node-1: {address: '127.0.0.1:25221', server: xtlab1@localhost}
  node-2: {address: '127.0.0.1:25222', server: xtlab2@localhost}
  node-3: {address: '127.0.0.1:25223', server: xtlab3@localhost}
`)

function refused(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error))
    assert.match(error.message, pattern)
    return true
  })
}

test("a node by its config name or by the cluster's own name", () => {
  assert.equal(configuredNode(config, 'node-2'), 'node-2')
  assert.equal(configuredNode(config, 'xtlab2@localhost'), 'node-2')
  assert.equal(configuredNode(config, 'XTLAB3@localhost'), 'node-3')
  assert.equal(nodeTarget(config, 'xtlab1@localhost').name, 'node-1')
  assert.deepEqual(resolveTarget(config, 'xtlab3@localhost'), nodeTarget(config, 'node-3'))
})

test('an unknown node is refused with the nearest name, of either kind', () => {
  refused(() => configuredNode(config, 'node-4'), /^unknown node "node-4" \(did you mean "node-1"\?\) \(configured: node-1, node-2, node-3\)$/)
  refused(() => configuredNode(config, 'xtlab2@localhots'), /did you mean "xtlab2@localhost"\?/)
  refused(() => configuredNode(config, 'kubernetes'), /^unknown node "kubernetes" \(configured: /)
  refused(() => resolveTarget(config, 'node_2'), /--to "node_2" is neither a configured node \(did you mean "node-2"\?\)/)
})

test('checkRequest hands the plan config names, whichever name the operator typed', () => {
  const context = {stateDir: '/nonexistent'}
  const drain = checkRequest(config, {command: 'drain', source: 'xtlab1@localhost', to: ['xtlab3@localhost']}, context)
  assert.deepEqual(drain, {command: 'drain', source: 'node-1', to: ['node-3']})
  refused(() => checkRequest(config, {command: 'drain', source: 'xtlab1@localhost', to: ['node-1']}, context), /--to node-1 is the node being drained/)
  refused(() => checkRequest(config, {command: 'drain', source: 'node-9'}, context), /unknown node "node-9"/)
  assert.deepEqual(checkRequest(config, {command: 'rebalance', to: 'xtlab2@localhost'}, context), {command: 'rebalance', to: 'node-2'})
})

test("sessions --node takes the cluster's name too", async () => {
  const directory = {
    listSessions: async () => [
      {jid: 'a@example.test/r', bare: 'a@example.test', resource: 'r', node: 'node-1', server: 'xtlab1@localhost', uptimeSeconds: 1},
      {jid: 'b@example.test/r', bare: 'b@example.test', resource: 'r', node: 'node-2', server: 'xtlab2@localhost', uptimeSeconds: 1},
    ],
  } as unknown as SessionDirectory
  assert.deepEqual(
    (await listSessions(config, directory, {node: 'xtlab2@localhost'})).map((session) => session.jid),
    ['b@example.test/r'],
  )
  await assert.rejects(listSessions(config, directory, {node: 'node-7'}), /unknown node "node-7"/)
})
