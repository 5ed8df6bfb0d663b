import assert from 'node:assert/strict'
import {test} from 'node:test'

import fc from 'fast-check'

import type {SessionInfo} from '../../src/model/session.js'
import {evenShares, holdingOf, planDrain, planMove, planRebalance, planRebalanceOf, sharesForReceiver} from '../../src/engine/plan.js'
import type {PlannedTransfer, TransferTarget} from '../../src/model/transfer.js'

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

/**
 * planRebalance as it was before bench:scale (it copied a node's list for every session, O(n^2)):
 * the new one must plan exactly what it planned, session for session.
 */
function planRebalanceBefore(sessions: SessionInfo[], wanted: Map<string, number>, targets: Map<string, TransferTarget>): PlannedTransfer[] {
  const byJid = (a: SessionInfo, b: SessionInfo) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0)
  const byNode = new Map<string, SessionInfo[]>()
  for (const s of [...sessions].sort(byJid)) byNode.set(s.node, [...(byNode.get(s.node) ?? []), s])
  const count = (node: string) => byNode.get(node)?.length ?? 0
  const plan: PlannedTransfer[] = []
  const receivers = [...wanted].filter(([node, n]) => count(node) < n).map(([node]) => node)
  for (const receiver of receivers) {
    while (count(receiver) < wanted.get(receiver)!) {
      let giver: string | undefined
      for (const [node] of byNode) {
        const excess = count(node) - (wanted.get(node) ?? 0)
        if (excess > 0 && (giver === undefined || excess > count(giver) - (wanted.get(giver) ?? 0))) giver = node
      }
      if (giver === undefined) break
      const s = byNode.get(giver)!.pop()!
      plan.push({jid: s.jid, bare: s.bare, resource: s.resource, from: s.node, target: targets.get(receiver)!})
      byNode.set(receiver, [...(byNode.get(receiver) ?? []), {...s, node: receiver}])
    }
  }
  return plan
}

test('rebalance plans the same sessions, to the same nodes, in the same order as before it was made linear, from a listing or node by node', () => {
  const nodes = ['n1', 'n2', 'n3', 'n4', 'n5']
  const targets = new Map(nodes.map((name, i) => [name, target(name, i + 1)]))
  const layout = fc.array(fc.tuple(fc.integer({min: 0, max: 60}), fc.constantFrom(...nodes)), {maxLength: 120})
  fc.assert(
    fc.property(layout, fc.constantFrom(...nodes), fc.integer({min: 0, max: 80}), fc.boolean(), (placed, receiver, take, even) => {
      const sessions = placed.map(([user, node], i) => session(`u${user}`, node, `r${i}`))
      const current = new Map(nodes.map((node) => [node, sessions.filter((s) => s.node === node).length]))
      const wanted = even ? evenShares(sessions.length, nodes, current) : sharesForReceiver(receiver, take, current)
      const before = planRebalanceBefore(sessions, wanted, targets).map((item) => [item.jid, item.from, item.target.name])
      const plan = planRebalance(sessions, wanted, targets)
      assert.deepEqual(
        plan.map((item) => [item.jid, item.from, item.target.name]),
        before,
      )
      // Node by node, each keeping only what it gives, in the order of each node's first JID.
      const holdings = nodes
        .map((node) =>
          holdingOf(
            node,
            sessions.filter((s) => s.node === node),
            wanted.get(node) ?? 0,
          ),
        )
        .filter((holding) => holding.count > 0)
        .sort((a, b) => (a.firstJid! < b.firstJid! ? -1 : 1))
      assert.deepEqual(
        planRebalanceOf(holdings, wanted, targets).map((item) => [item.jid, item.from, item.target.name]),
        before,
      )
    }),
    {numRuns: 300},
  )
})
