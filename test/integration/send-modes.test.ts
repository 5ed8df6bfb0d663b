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

test('--from domain: sent as the bare domain through the API; acks not observable, moves still tracked', async () => {
  const names = users(281, 4)
  const fleet = await fleetOn(lab, 1, names)
  try {
    const run = await runCli(['drain', 'node-1', '--from', 'domain', '--yes', '--json', '--config', labConfigPath(lab), '--wait', '20s'])
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.equal(run.json.acksObservable, false)
    assert.match(run.json.message, /acknowledgements are not observable/)
    for (const row of run.json.sessions) {
      assert.equal(row.ack, 'not-observable')
      assert.equal(row.outcome, 'moved')
    }
    for (const stats of fleet.stats()) assert.equal(stats.transfers, 1)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('--namespace cxfr and both: the client gets the packet in urn:xmpp:cxfr (both: one of each) and moves once', async () => {
  const [a, b] = users(291, 2)
  const fleet = await fleetOn(lab, 1, [a, b])
  try {
    const cxfr = await runCli(['move', `${a}@${lab.domain}`, '--to', 'node-2', '--namespace', 'cxfr', '--yes', '--json', '--config', labConfigPath(lab)])
    assert.equal(cxfr.code, 0, cxfr.stderr)
    const both = await runCli(['move', `${b}@${lab.domain}`, '--to', 'node-3', '--namespace', 'both', '--yes', '--json', '--config', labConfigPath(lab)])
    assert.equal(both.code, 0, both.stderr)
    assert.equal(both.json.sessions[0].ack, 'result')
    const stats = new Map(fleet.stats().map((s) => [s.user, s]))
    assert.equal(stats.get(a)!.packetsReceived, 1)
    assert.equal(stats.get(b)!.packetsReceived, 2)
    assert.equal(stats.get(b)!.transfers, 1, 'two packets, one move')
    assert.equal((await userSessions(lab, a))[0].node, lab.nodes[1].name)
    assert.equal((await userSessions(lab, b))[0].node, lab.nodes[2].name)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})
