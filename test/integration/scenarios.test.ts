import assert from 'node:assert/strict'
import {before, test} from 'node:test'

import {runCli} from './cli.js'
import {type LabEnv, requireLab, userSessions} from './lab-env.js'
import {fleetOn, labConfigPath, users, variantConfig, waitForEmptyCluster} from './transfer-fixtures.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

test('rehome: sessions away from their home node go home; the second run moves nothing', async () => {
  const config = variantConfig(
    lab,
    (yaml) => `${yaml}placement:
  rules:
    - {regex: "^user006[0-4]@", node: node-2}
    - {match: "user007*@example.test", node: node-3}
`,
  )
  const fleet = await fleetOn(lab, 1, [...users(60, 5), ...users(70, 5), ...users(80, 3)])
  try {
    const first = await runCli(['rehome', '--yes', '--json', '--config', config])
    assert.equal(first.code, 0, first.stderr)
    assert.equal(first.json.command, 'rehome')
    assert.equal(first.json.summary.moved, 10)
    assert.match(first.json.message, /3 session\(s\) of users no placement rule matches/)
    assert.equal((await userSessions(lab, 'user0062'))[0].node, lab.nodes[1].name)
    assert.equal((await userSessions(lab, 'user0073'))[0].node, lab.nodes[2].name)
    assert.equal((await userSessions(lab, 'user0081'))[0].node, lab.nodes[0].name)
    assert.deepEqual(first.json.balance.after, {'node-1': 3, 'node-2': 5, 'node-3': 5})

    const second = await runCli(['rehome', '--yes', '--json', '--config', config])
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.json.summary.total, 0)
    assert.match(second.json.message, /every session is on its home node: nothing to do/)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('rehome without a placement in the config: exit 2 saying what to add', async () => {
  const run = await runCli(['rehome', '--yes', '--config', labConfigPath(lab)])
  assert.equal(run.code, 2)
  assert.match(run.stderr, /no placement in the config/)
})

test('rebalance --to a new node takes its fair share from the most loaded; then rebalance evens all nodes', async () => {
  const onOne = await fleetOn(lab, 1, users(90, 12))
  const onTwo = await fleetOn(lab, 2, users(110, 3))
  try {
    const toThree = await runCli(['rebalance', '--to', 'node-3', '--yes', '--json', '--config', labConfigPath(lab)])
    assert.equal(toThree.code, 0, toThree.stderr)
    assert.deepEqual(toThree.json.balance.before, {'node-1': 12, 'node-2': 3, 'node-3': 0})
    assert.deepEqual(toThree.json.balance.planned, {'node-1': 7, 'node-2': 3, 'node-3': 5})
    assert.deepEqual(toThree.json.balance.after, {'node-1': 7, 'node-2': 3, 'node-3': 5})
    assert.ok(
      toThree.json.sessions.every((row: {from: string}) => row.from === 'node-1'),
      'the most loaded gives',
    )

    const even = await runCli(['rebalance', '--yes', '--json', '--config', labConfigPath(lab)])
    assert.equal(even.code, 0, even.stderr)
    assert.equal(even.json.summary.moved, 2)
    assert.deepEqual(even.json.balance.after, {'node-1': 5, 'node-2': 5, 'node-3': 5})

    const table = await runCli(['rebalance', '--dry-run', '--config', labConfigPath(lab)])
    assert.match(table.stdout, /already balanced: nothing to do/)
    assert.match(table.stdout, /before .*5 .*5 .*5/)
  } finally {
    await Promise.all([onOne.stop(), onTwo.stop()])
    await waitForEmptyCluster(lab)
  }
})
