import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {parseConfig} from '../../src/config/load-config.js'
import {loadPlacement} from '../../src/config/placement-config.js'
import type {SessionInfo} from '../../src/model/session.js'
import {homeFinder, rendezvous} from '../../src/engine/placement.js'
import {evenShares, planRebalance, planRehome, sharesForReceiver} from '../../src/engine/plan.js'
import type {TransferTarget} from '../../src/model/transfer.js'
import {testTempDir} from '../support/temp-dir.js'

const NODES = ['node-1', 'node-2', 'node-3']
const targets = new Map<string, TransferTarget>(
  NODES.map((name, i) => [name, {name, address: {kind: 'ipv4', host: '127.0.0.1', port: 5221 + i}, isNode: true}]),
)
const session = (user: string, node: string): SessionInfo => ({jid: `${user}/r`, bare: user, resource: 'r', node, server: node, uptimeSeconds: 9})

test('rules: globs and regexes on the bare JID, first match wins, no match stays', async () => {
  const homeOf = homeFinder(
    await loadPlacement(
      {
        rules: [
          {match: '*@team-a.example.test', node: 'node-2'},
          {regex: '^ops-.*@example\\.test$', node: 'node-3'},
          {match: 'boss@*', node: 'node-1'},
        ],
      },
      NODES,
    ),
  )
  assert.equal(homeOf('alice@team-a.example.test'), 'node-2')
  assert.equal(homeOf('ALICE@Team-A.example.test'), 'node-2')
  assert.equal(homeOf('ops-1@example.test'), 'node-3')
  assert.equal(homeOf('boss@team-a.example.test'), 'node-2', 'the first rule wins')
  assert.equal(homeOf('boss@example.test'), 'node-1')
  assert.equal(homeOf('carol@example.test'), undefined)
})

test('a CSV or JSON table of bare JID → node', async () => {
  const dir = testTempDir('xtransfer-placement-')
  writeFileSync(join(dir, 'homes.csv'), 'jid,node\n# a comment\nalice@example.test,node-2\nbob@example.test , node-3\n')
  writeFileSync(join(dir, 'homes.json'), JSON.stringify({'alice@example.test': 'node-3'}))
  const csv = homeFinder(await loadPlacement({file: 'homes.csv'}, NODES, join(dir, 'config.yaml')))
  assert.equal(csv('alice@example.test'), 'node-2')
  assert.equal(csv('bob@example.test'), 'node-3')
  assert.equal(csv('carol@example.test'), undefined)
  const json = homeFinder(await loadPlacement({file: join(dir, 'homes.json')}, NODES))
  assert.equal(json('alice@example.test'), 'node-3')
  writeFileSync(join(dir, 'bad.csv'), 'alice@example.test,node-9\n')
  await assert.rejects(loadPlacement({file: join(dir, 'bad.csv')}, NODES), /line 1: unknown node "node-9"/)
  writeFileSync(join(dir, 'bad2.csv'), 'not a jid,node-1\n')
  await assert.rejects(loadPlacement({file: join(dir, 'bad2.csv')}, NODES), /not a bare JID/)
  await assert.rejects(loadPlacement({file: join(dir, 'missing.csv')}, NODES), /cannot read/)
})

test('hash: stable, spread evenly, and adding a node moves only the users it takes', () => {
  const users = Array.from({length: 3000}, (_, i) => `user${i}@example.test`)
  const three = users.map((user) => rendezvous(user, NODES)!)
  assert.deepEqual(
    users.map((user) => rendezvous(user, NODES)),
    three,
    'stable',
  )
  for (const node of NODES) {
    const n = three.filter((home) => home === node).length
    assert.ok(n > 850 && n < 1150, `${node}: ${n}`)
  }
  const four = users.map((user) => rendezvous(user, [...NODES, 'node-4'])!)
  const moved = users.filter((_, i) => four[i] !== three[i])
  assert.ok(
    moved.every((_, i) => four[users.indexOf(moved[i])] === 'node-4'),
    'only moves to the new node',
  )
  assert.ok(moved.length > 600 && moved.length < 900, `${moved.length} moved`)
})

test('the config validates placement: exactly one kind, known nodes', () => {
  const base = `domain: example.test
admin: {jid: admin@example.test, service: "xmpp://127.0.0.1:5222"}
directory: {type: ejabberd, api: "http://127.0.0.1:5281/api"}
nodes:
  node-1: {address: "127.0.0.1:5221", server: a@localhost}
  node-2: {address: "127.0.0.1:5222", server: b@localhost}
`
  assert.ok(parseConfig(`${base}placement: {rules: [{match: "*@x", node: node-2}]}\n`).placement)
  assert.ok(parseConfig(`${base}placement: {hash: true}\n`).placement)
  assert.throws(() => parseConfig(`${base}placement: {rules: [{match: "*@x", node: node-9}]}\n`), /placement\.rules\.0\.node: unknown node "node-9"/)
  assert.throws(() => parseConfig(`${base}placement: {hash: true, file: x.csv}\n`), /placement is exactly one of/)
  assert.throws(() => parseConfig(`${base}placement: {rules: [{regex: "(", node: node-1}]}\n`), /placement/)
})

test('rehome plans only sessions away from home; a second plan after the moves is empty', async () => {
  const homeOf = homeFinder(
    await loadPlacement(
      {
        rules: [
          {match: 'a*', node: 'node-2'},
          {match: 'b*', node: 'node-3'},
        ],
      },
      NODES,
    ),
  )
  const sessions = [session('a1@d', 'node-1'), session('a2@d', 'node-2'), session('b1@d', 'node-1'), session('c1@d', 'node-1')]
  const plan = planRehome(sessions, homeOf, targets)
  assert.deepEqual(
    plan.map((item) => [item.bare, item.target.name]),
    [
      ['a1@d', 'node-2'],
      ['b1@d', 'node-3'],
    ],
  )
  const after = sessions.map((s) => (plan.find((item) => item.jid === s.jid) ? {...s, node: plan.find((item) => item.jid === s.jid)!.target.name} : s))
  assert.deepEqual(planRehome(after, homeOf, targets), [])
})

test('rebalance onto a new node: the fewest move, the most loaded giving first', () => {
  const sessions = [...Array.from({length: 9}, (_, i) => session(`x${i}@d`, 'node-1')), ...Array.from({length: 3}, (_, i) => session(`y${i}@d`, 'node-2'))]
  const current = new Map([
    ['node-1', 9],
    ['node-2', 3],
    ['node-3', 0],
  ])
  const wanted = sharesForReceiver('node-3', 4, current)
  assert.deepEqual(Object.fromEntries(wanted), {'node-1': 5, 'node-2': 3, 'node-3': 4})
  const plan = planRebalance(sessions, wanted, targets)
  assert.equal(plan.length, 4)
  assert.ok(plan.every((item) => item.from === 'node-1' && item.target.name === 'node-3'))
})

test('rebalance evens all nodes with the fewest moves; a balanced cluster plans nothing', () => {
  const sessions = [
    ...Array.from({length: 10}, (_, i) => session(`x${i}@d`, 'node-1')),
    ...Array.from({length: 4}, (_, i) => session(`y${i}@d`, 'node-2')),
    ...Array.from({length: 1}, (_, i) => session(`z${i}@d`, 'node-3')),
  ]
  const current = new Map([
    ['node-1', 10],
    ['node-2', 4],
    ['node-3', 1],
  ])
  const wanted = evenShares(15, NODES, current)
  assert.deepEqual(Object.fromEntries(wanted), {'node-1': 5, 'node-2': 5, 'node-3': 5})
  const plan = planRebalance(sessions, wanted, targets)
  assert.equal(plan.length, 5)
  const after = new Map(current)
  for (const item of plan) {
    after.set(item.from, after.get(item.from)! - 1)
    after.set(item.target.name, after.get(item.target.name)! + 1)
  }
  assert.deepEqual(Object.fromEntries(after), {'node-1': 5, 'node-2': 5, 'node-3': 5})
  assert.deepEqual(
    planRebalance(
      sessions.map((s, i) => ({...s, node: NODES[i % 3]})),
      evenShares(15, NODES, new Map(NODES.map((n) => [n, 5]))),
      targets,
    ),
    [],
  )
  // An uneven total: the remainder stays where the load is, so nothing needless moves.
  assert.deepEqual(
    Object.fromEntries(
      evenShares(
        7,
        NODES,
        new Map([
          ['node-1', 3],
          ['node-2', 2],
          ['node-3', 2],
        ]),
      ),
    ),
    {'node-1': 3, 'node-2': 2, 'node-3': 2},
  )
})
