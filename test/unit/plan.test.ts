import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {SessionInfo} from '../../src/model/session.js'
import {planDrain, planMove} from '../../src/engine/plan.js'
import type {TransferTarget} from '../../src/model/transfer.js'

const target = (name: string, port: number): TransferTarget => ({name, address: {kind: 'ipv4', host: '127.0.0.1', port}, isNode: true})
const session = (user: string, node: string, resource = 'r'): SessionInfo => ({
  jid: `${user}@d/${resource}`,
  bare: `${user}@d`,
  resource,
  node,
  server: node,
  uptimeSeconds: 5,
})

test('a drain spreads evenly over empty targets', () => {
  const sessions = Array.from({length: 60}, (_, i) => session(`u${i}`, 'n1'))
  const plan = planDrain({sessions, targets: [target('n2', 2), target('n3', 3)], loads: new Map()})
  const counts = new Map<string, number>()
  for (const item of plan) counts.set(item.target.name, (counts.get(item.target.name) ?? 0) + 1)
  assert.deepEqual(Object.fromEntries(counts), {n2: 30, n3: 30})
  assert.equal(new Set(plan.map((item) => item.jid)).size, 60)
})

test('a drain fills the least-loaded target first so the targets end even', () => {
  const sessions = Array.from({length: 10}, (_, i) => session(`u${i}`, 'n1'))
  const plan = planDrain({
    sessions,
    targets: [target('n2', 2), target('n3', 3)],
    loads: new Map([
      ['n2', 8],
      ['n3', 2],
    ]),
  })
  const toN3 = plan.filter((item) => item.target.name === 'n3').length
  const toN2 = plan.length - toN3
  assert.equal(8 + toN2, 2 + toN3)
  assert.equal(plan[0].target.name, 'n3')
})

test('an odd count ends within one of even, and the plan is reproducible', () => {
  const sessions = Array.from({length: 7}, (_, i) => session(`u${i}`, 'n1'))
  const targets = [target('n2', 2), target('n3', 3), target('n4', 4)]
  const first = planDrain({sessions, targets, loads: new Map()})
  const again = planDrain({sessions: [...sessions].reverse(), targets, loads: new Map()})
  assert.deepEqual(
    first.map((item) => [item.jid, item.target.name]),
    again.map((item) => [item.jid, item.target.name]),
  )
  const counts = targets.map((t) => first.filter((item) => item.target.name === t.name).length)
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `uneven: ${counts}`)
})

test('no targets, no plan', () => {
  assert.deepEqual(planDrain({sessions: [session('a', 'n1')], targets: [], loads: new Map()}), [])
})

test('a move leaves out sessions already on the target node', () => {
  const {plan, alreadyThere} = planMove([session('a', 'n1', 'x'), session('a', 'n2', 'y')], target('n2', 2))
  assert.deepEqual(
    plan.map((item) => item.jid),
    ['a@d/x'],
  )
  assert.deepEqual(
    alreadyThere.map((s) => s.jid),
    ['a@d/y'],
  )
})

test('a move to a bare address moves every session', () => {
  const address: TransferTarget = {name: '10.0.0.5:5222', address: {kind: 'ipv4', host: '10.0.0.5', port: 5222}, isNode: false}
  const {plan} = planMove([session('a', 'n1', 'x'), session('a', 'n2', 'y')], address)
  assert.equal(plan.length, 2)
})
