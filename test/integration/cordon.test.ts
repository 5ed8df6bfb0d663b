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

/** What a node's c2s listener answers a new stream with, up to its first stream error or features (raw TCP, no TLS yet). */
function firstAnswer(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: lab.host, port})
    let text = ''
    socket.setTimeout(5000, () => {
      socket.destroy()
      reject(new Error(`no stream error or features from port ${port} within 5 s: ${text}`))
    })
    socket.once('connect', () =>
      socket.write(
        `<?xml version='1.0'?><stream:stream to='${lab.domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`,
      ),
    )
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (/<\/stream:error>|<\/stream:features>/.test(text)) {
        socket.destroy()
        resolve(text)
      }
    })
    socket.once('error', reject)
  })
}

test('cordon node-3 --redirect node-1: new streams get <see-other-host> to node-1; bad --redirect values cordon nothing', async () => {
  try {
    for (const [value, message] of [
      ['node-3', /--redirect node-3: that is the node being cordoned/],
      ['node-9', /--redirect "node-9" is not a configured node/],
      ['10.0.0.5', /--redirect "10.0.0.5" is not a configured node .*give its port: 10\.0\.0\.5:5222/],
    ] as const) {
      const bad = await runCli(['cordon', 'node-3', '--redirect', value, '--config', labConfigPath(lab)])
      assert.equal(bad.code, 2, bad.stderr)
      assert.match(bad.stderr, message)
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr)
      assert.equal((await nodesJson()).find((row) => row.name === 'node-3')?.cordoned, false, `--redirect ${value} cordoned node-3`)
    }

    const cordon = await runCli(['cordon', 'node-3', '--redirect', 'node-1', '--json', '--config', labConfigPath(lab)])
    assert.equal(cordon.code, 0, cordon.stderr)
    const node1 = `${lab.host}:${lab.nodes[0].c2sPort}`
    assert.deepEqual(cordon.json, {node: 'node-3', cordoned: true, mode: 'redirect', redirect: node1})
    const human = await runCli(['cordon', 'node-3', '--redirect', node1, '--config', labConfigPath(lab)])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, new RegExp(`node-3 is cordoned: new client connections are sent to ${node1.replaceAll('.', '\\.')} \\(<see-other-host>\\)`))
    const answer = await firstAnswer(lab.nodes[2].c2sPort)
    assert.match(answer, new RegExp(`<see-other-host[^>]*>${node1.replaceAll('.', '\\.')}</see-other-host>`))
    assert.match(await firstAnswer(lab.nodes[1].c2sPort), /<stream:features>/)
    assert.equal((await nodesJson()).find((row) => row.name === 'node-3')?.cordoned, true)
  } finally {
    const uncordon = await runCli(['uncordon', 'node-3', '--config', labConfigPath(lab)])
    assert.equal(uncordon.code, 0, uncordon.stderr)
  }
  assert.match(await firstAnswer(lab.nodes[2].c2sPort), /<stream:features>/)
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
