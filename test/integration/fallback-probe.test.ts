import assert from 'node:assert/strict'
import {before, test} from 'node:test'

import {client} from '@xmpp/client'

import type {Behaviour} from '../../src/fleet/index.js'
import {runCli} from './cli.js'
import {allSessions, type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, nodeNameOf, users, waitForEmptyCluster} from './transfer-fixtures.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

test('probe and drain --preflight: the share of clients that advertise transfers', async () => {
  const names = users(311, 4)
  const fleet = await fleetOn(lab, 1, names, {behaviour: (user) => (user === names[3] ? 'refuse' : 'follow')})
  try {
    const probe = await runCli(['probe', '--node', 'node-1', '--json', '--config', labConfigPath(lab)])
    assert.equal(probe.code, 0, probe.stderr)
    assert.deepEqual(probe.json.summary, {probed: 4, answered: 3, srvxfr: 3, cxfr: 3, either: 3})
    const refuser = probe.json.sessions.find((row: {jid: string}) => row.jid.startsWith(names[3]))
    assert.equal(refuser.answer, 'error:service-unavailable')

    const dry = await runCli(['drain', 'node-1', '--preflight', '--dry-run', '--json', '--config', labConfigPath(lab)])
    assert.equal(dry.code, 0, dry.stderr)
    assert.deepEqual(dry.json.preflight, {probed: 4, answered: 3, srvxfr: 3, cxfr: 3, either: 3})
    assert.equal(fleet.totals().packetsReceived, 0, 'a probe sends no transfer packet')
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('packets only: --fallback kick closes the sessions that refused or ignored the packet, and reports where they came back', async () => {
  const names = users(321, 5)
  const behaviour = (user: string): Behaviour => (user === names[0] ? 'refuse' : user === names[1] ? 'ignore' : 'follow')
  const fleet = await fleetOn(lab, 1, names, {behaviour})
  // A plain client with its own reconnect logic, whose service now points elsewhere (as DNS would once node-1 leaves it).
  const [reconnecting] = users(326, 1)
  const legacy = client({
    service: lab.nodes[0].service,
    domain: lab.domain,
    resource: 'legacy',
    credentials: (auth) => auth({username: reconnecting, password: lab.userPassword}, 'PLAIN'),
  })
  legacy.on('error', () => {})
  await legacy.start()
  legacy.options.service = lab.nodes[2].service
  try {
    const run = await runCli([
      'drain',
      'node-1',
      '--methods',
      'packet',
      '--fallback',
      'kick',
      '--yes',
      '--json',
      '--config',
      labConfigPath(lab),
      '--wait',
      '5s',
      '--ack-timeout',
      '2s',
    ])
    const byUser = new Map(run.json.sessions.map((row: {jid: string}) => [row.jid.split('@')[0], row])) as Map<
      string,
      {outcome: string; reconnectedTo: string | null; ack: string}
    >
    assert.equal(run.json.options.fallback, 'kick')
    assert.equal(byUser.get(names[0])!.outcome, 'kicked', JSON.stringify(run.json.sessions))
    assert.equal(byUser.get(names[0])!.ack, 'error:service-unavailable')
    assert.equal(byUser.get(names[0])!.reconnectedTo, null, 'the fleet refuser has no reconnect logic')
    assert.equal(byUser.get(names[1])!.outcome, 'kicked')
    assert.equal(byUser.get(names[1])!.ack, 'timeout')
    assert.equal(byUser.get(reconnecting)!.outcome, 'kicked')
    assert.equal(byUser.get(reconnecting)!.reconnectedTo, 'node-3')
    for (const user of names.slice(2)) assert.equal(byUser.get(user)!.outcome, 'moved')
    assert.equal(run.json.summary.kicked, 3)
    assert.equal(run.code, 1, 'two kicked sessions did not come back')
    const left = (await allSessions(lab)).filter((s) => nodeNameOf(lab, s.node) === 'node-1' && !String(s.jid).startsWith('admin@'))
    assert.deepEqual(
      left.map((s) => s.jid),
      [],
    )
  } finally {
    await legacy.stop().catch(() => {})
    await fleet.stop()
    await waitForEmptyCluster(lab, 20_000)
  }
})
