// xtransfer cordon / uncordon, nodes' cordon column, and drain --no-cordon (issue 12 §1, §3.1).
import assert from 'node:assert/strict'
import {connect} from 'node:net'
import {before, test} from 'node:test'

import {runCli} from './cli.js'
import {type LabEnv, requireLab, userSessions} from './lab-env.js'
import {fleetOn, labConfigPath, users, waitForEmptyCluster} from './transfer-fixtures.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  assert.ok(lab.companion, 'this test needs the server companion (LAB_COMPANION=on)')
  await waitForEmptyCluster(lab)
})

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: lab.host, port})
    socket.setTimeout(2000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

const nodesJson = async () => (await runCli(['nodes', '--json', '--config', labConfigPath(lab)])).json.nodes as Array<{name: string; cordoned: boolean | null}>

test('cordon node-3: new connections are refused, its sessions stay, nodes says so; uncordon undoes it', async () => {
  const [user] = users(551, 1)
  const fleet = await fleetOn(lab, 3, [user])
  try {
    const cordon = await runCli(['cordon', 'node-3', '--json', '--config', labConfigPath(lab)])
    assert.equal(cordon.code, 0, cordon.stderr)
    assert.deepEqual({node: cordon.json.node, cordoned: cordon.json.cordoned}, {node: 'node-3', cordoned: true})
    assert.equal(await accepts(lab.nodes[2].c2sPort), false, 'node-3 still accepts connections')
    assert.equal(await accepts(lab.nodes[1].c2sPort), true)
    assert.deepEqual(
      (await userSessions(lab, user)).map((s) => s.node),
      [lab.nodes[2].name],
      'the session on node-3 stayed',
    )
    assert.deepEqual(
      (await nodesJson()).map((row) => [row.name, row.cordoned]),
      [
        ['node-1', false],
        ['node-2', false],
        ['node-3', true],
      ],
    )

    // The cluster's own name for the node works too.
    const uncordon = await runCli(['uncordon', lab.nodes[2].name, '--config', labConfigPath(lab)])
    assert.equal(uncordon.code, 0, uncordon.stderr)
    assert.match(uncordon.stdout, /node-3 takes new client connections/)
    assert.equal(await accepts(lab.nodes[2].c2sPort), true)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('drain cordons its node and leaves it cordoned (as kubectl does); --no-cordon does not', async () => {
  const fleet = await fleetOn(lab, 2, users(552, 3))
  try {
    const drained = await runCli(['drain', 'node-2', '--yes', '--json', '--config', labConfigPath(lab), '--wait', '20s'])
    assert.equal(drained.code, 0, drained.stderr)
    assert.equal(drained.json.options.cordon, true)
    assert.match(drained.json.message, /node-2 is cordoned: it takes no new client connections until `xtransfer uncordon node-2`/)
    assert.equal((await nodesJson()).find((row) => row.name === 'node-2')?.cordoned, true)
    assert.equal(await accepts(lab.nodes[1].c2sPort), false)
    await runCli(['uncordon', 'node-2', '--config', labConfigPath(lab)])

    const plain = await runCli(['drain', 'node-1', '--no-cordon', '--yes', '--json', '--config', labConfigPath(lab)])
    assert.equal(plain.code, 0, plain.stderr)
    assert.equal(plain.json.options.cordon, false)
    assert.equal((await nodesJson()).find((row) => row.name === 'node-1')?.cordoned, false)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})
