import assert from 'node:assert/strict'
import {test} from 'node:test'

import {staleRouteFigures, staleRoutes} from '../../bench/analysis/stale-routes.js'
import {parseProbeOutput, probeProgram, type RouteProbeResult} from '../../bench/lab/route-probe.js'

const probe = (samples: RouteProbeResult['samples']): RouteProbeResult => ({node: 'node-2', everyMs: 100, samples, failures: 0})

test("the probe's lines: polls with the receivers routed to a dead process, and failed polls", () => {
  const parsed = parseProbeOutput('poll 1000 3 \npoll 1100 3 user0002,user0003\nfail {badrpc,timeout}\npoll 1200 2 user0003\n')
  assert.deepEqual(parsed, {
    samples: [
      [1000, 3, []],
      [1100, 3, ['user0002', 'user0003']],
      [1200, 2, ['user0003']],
    ],
    failures: 1,
  })
})

test('the probe program names only plain users and a node name (it is evaluated by erl)', () => {
  assert.match(probeProgram({node: 'xtbench2@localhost', domain: 'example.test', resource: 'rehearsal', users: ['user0001'], everyMs: 100}), /<<"user0001">>/)
  assert.throws(() => probeProgram({node: 'xtbench2@localhost', domain: 'example.test', resource: 'rehearsal', users: ['a"), halt().'], everyMs: 100}))
  assert.throws(() => probeProgram({node: "x'), halt(), '", domain: 'example.test', resource: 'r', users: [], everyMs: 100}))
})

test('a stale route runs over consecutive polls that saw the pid dead, per receiver', () => {
  const routes = staleRoutes(
    probe([
      [1000, 2, []],
      [1100, 2, ['a']],
      [1200, 2, ['a', 'b']],
      [1300, 2, ['b']],
      [1400, 2, []],
      [1500, 2, ['a']],
    ]),
  )
  assert.deepEqual(routes, [
    {user: 'a', from: 1100, to: 1200},
    {user: 'b', from: 1200, to: 1300},
    {user: 'a', from: 1500, to: 1500},
  ])
})

test('messages sent while their receiver was routed to an exited process, and whether they were lost', () => {
  const figures = staleRouteFigures(
    probe([
      [1000, 2, []],
      [1100, 2, ['a']],
      [1200, 2, ['a']],
      [1300, 2, []],
    ]),
    [
      ['a', 1150, true], // inside a's stale route: lost
      ['a', 1400, false], // 200 ms after it: within the slack, delivered
      ['a', 2000, true], // far from it: lost otherwise
      ['b', 1150, false], // b never had one
    ],
    250,
  )
  assert.equal(figures.staleRoutes, 1)
  assert.equal(figures.receiversWithOne, 1)
  assert.equal(figures.staleForMs.max, 100)
  assert.equal(figures.sentWhileStale, 2)
  assert.equal(figures.lostWhileStale, 1)
  assert.equal(figures.lostOtherwise, 1)
})
