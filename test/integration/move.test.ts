import assert from 'node:assert/strict'
import {before, test} from 'node:test'

import {runCli} from './cli.js'
import {type LabEnv, requireLab, userSessions} from './lab-env.js'
import {fleetOn, labConfigPath, users, waitForEmptyCluster} from './transfer-fixtures.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

test("move a bare JID with two resources to node-3's address: both sessions end on node-3", async () => {
  const [user] = users(201, 1)
  const phone = await fleetOn(lab, 1, [user], {resource: () => 'phone'})
  const laptop = await fleetOn(lab, 2, [user], {resource: () => 'laptop'})
  try {
    const run = await runCli(['move', `${user}@${lab.domain}`, '--to', `127.0.0.1:${lab.nodes[2].c2sPort}`, '--yes', '--json', '--config', labConfigPath(lab)])
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.equal(run.json.summary.moved, 2)
    assert.deepEqual(run.json.targets, ['node-3'])
    const sessions = await userSessions(lab, user)
    assert.deepEqual(sessions.map((s) => [s.resource, s.node]).sort(), [
      ['laptop', lab.nodes[2].name],
      ['phone', lab.nodes[2].name],
    ])
  } finally {
    await Promise.all([phone.stop(), laptop.stop()])
    await waitForEmptyCluster(lab)
  }
})

test('move a full JID: only that session moves; table output on a non-TTY has no colour', async () => {
  const [user] = users(202, 1)
  const phone = await fleetOn(lab, 1, [user], {resource: () => 'phone'})
  const laptop = await fleetOn(lab, 1, [user], {resource: () => 'laptop'})
  try {
    const run = await runCli(['move', `${user}@${lab.domain}/phone`, '--to', 'node-2', '--yes', '--config', labConfigPath(lab)])
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, /1 selected: 1 moved/)
    // eslint-disable-next-line no-control-regex -- an ANSI escape is exactly what must not be there
    assert.doesNotMatch(run.stdout, /\x1b\[/)
    const sessions = await userSessions(lab, user)
    assert.deepEqual(sessions.map((s) => [s.resource, s.node]).sort(), [
      ['laptop', lab.nodes[0].name],
      ['phone', lab.nodes[1].name],
    ])
  } finally {
    await Promise.all([phone.stop(), laptop.stop()])
    await waitForEmptyCluster(lab)
  }
})

test('move of a user who is not online selects nothing: exit 0 and says so', async () => {
  const run = await runCli(['move', `nobody@${lab.domain}`, '--to', 'node-2', '--yes', '--json', '--config', labConfigPath(lab)])
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.json.message, /not online: nobody@/)
  assert.equal(run.json.summary.total, 0)
})

test('a move to an address nobody listens on: the user stays online on its node and is reported not moved', async () => {
  const [user] = users(203, 1)
  const fleet = await fleetOn(lab, 1, [user])
  try {
    const run = await runCli(['move', `${user}@${lab.domain}`, '--to', '127.0.0.1:1', '--yes', '--json', '--wait', '4s', '--config', labConfigPath(lab)])
    assert.equal(run.code, 1, run.stderr)
    assert.equal(run.json.sessions[0].ack, 'result', 'the client agreed, then could not connect')
    assert.equal(run.json.sessions[0].outcome, 'not-moved')
    const sessions = await userSessions(lab, user)
    assert.deepEqual(
      sessions.map((s) => s.node),
      [lab.nodes[0].name],
    )
    const stats = fleet.stats()[0]
    assert.equal(stats.online, true)
    assert.equal(stats.failedTransfers, 1)
    assert.equal(stats.gaps, 0, 'make-before-break: never offline')
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})
