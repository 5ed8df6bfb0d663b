import assert from 'node:assert/strict'
import {before, test} from 'node:test'

import type {Behaviour} from '../../src/fleet/index.js'
import {runCli} from './cli.js'
import {allSessions, type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, nodeNameOf, users, waitForEmptyCluster} from './transfer-fixtures.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

test('drain node-1: 60 users all moved, spread evenly over node-2 and node-3, as the server confirms', async () => {
  const fleet = await fleetOn(lab, 1, users(1, 60))
  try {
    const run = await runCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--wait', '30s'])
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(0, 2000))
    const report = run.json
    assert.equal(report.command, 'drain')
    assert.equal(report.source, 'node-1')
    assert.equal(report.summary.total, 60)
    assert.equal(report.summary.moved, 60)
    const perTarget = report.summary.perTarget
    assert.deepEqual(Object.keys(perTarget).sort(), ['node-2', 'node-3'])
    assert.ok(Math.abs(perTarget['node-2'] - perTarget['node-3']) <= 1, JSON.stringify(perTarget))

    // Every row's reconnectedTo is where the server now has that session.
    const where = new Map((await allSessions(lab)).map((session) => [session.jid, nodeNameOf(lab, session.node)]))
    for (const row of report.sessions) {
      assert.equal(row.outcome, 'moved', row.jid)
      assert.equal(row.ack, 'result')
      assert.equal(row.reconnectedTo, row.target)
      assert.equal(where.get(row.reconnectedJid), row.reconnectedTo, `${row.jid}: server says ${where.get(row.reconnectedJid)}`)
      assert.ok(row.latencyMs > 0 && row.latencyMs < 30_000)
    }
    // One packet each: nobody was sent twice.
    for (const stats of fleet.stats()) assert.equal(stats.packetsReceived, 1, stats.user)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('drain of an empty node: exit 0 with a clear message', async () => {
  const run = await runCli(['drain', 'node-3', '--yes', '--config', labConfigPath(lab)])
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /no sessions on node-3/)
})

test('--dry-run prints the plan and sends nothing', async () => {
  const fleet = await fleetOn(lab, 1, users(101, 10))
  try {
    const run = await runCli(['drain', 'node-1', '--dry-run', '--json', '--config', labConfigPath(lab), '--to', 'node-2'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.json.dryRun, true)
    assert.equal(run.json.sessions.length, 10)
    assert.ok(run.json.sessions.every((row: {outcome: string; target: string}) => row.outcome === 'planned' && row.target === 'node-2'))
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(fleet.totals().packetsReceived, 0)
    const onNode1 = (await allSessions(lab)).filter((session) => nodeNameOf(lab, session.node) === 'node-1' && String(session.jid).startsWith('user01'))
    assert.equal(onNode1.length, 10)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('without a terminal and without --yes, drain refuses before sending anything', async () => {
  const fleet = await fleetOn(lab, 1, users(121, 3))
  try {
    const run = await runCli(['drain', 'node-1', '--config', labConfigPath(lab)])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /--yes/)
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
    assert.equal(fleet.totals().packetsReceived, 0)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('packets only (--methods packet): clients that refuse or ignore the packet are reported, the rest still move, exit 1', async () => {
  const names = users(141, 12)
  const behaviour = (user: string): Behaviour => (user === names[0] || user === names[1] ? 'refuse' : user === names[2] ? 'ignore' : 'follow')
  const fleet = await fleetOn(lab, 1, names, {behaviour})
  try {
    const run = await runCli([
      'drain',
      'node-1',
      '--methods',
      'packet',
      '--yes',
      '--json',
      '--config',
      labConfigPath(lab),
      '--wait',
      '4s',
      '--ack-timeout',
      '2s',
    ])
    assert.equal(run.code, 1, run.stderr)
    const byUser = new Map(run.json.sessions.map((row: {jid: string}) => [row.jid.split('@')[0], row]))
    for (const user of names.slice(0, 2)) {
      const row = byUser.get(user) as {outcome: string; ack: string}
      assert.equal(row.outcome, 'unsupported')
      assert.equal(row.ack, 'error:service-unavailable')
    }
    const ignored = byUser.get(names[2]) as {outcome: string; ack: string}
    assert.equal(ignored.ack, 'timeout')
    assert.equal(ignored.outcome, 'not-moved')
    assert.equal(run.json.summary.moved, 9)
    assert.equal(run.json.summary.unsupported, 2)
    assert.equal(run.json.summary.notMoved, 1)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})
