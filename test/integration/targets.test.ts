// Issue 13 item 5: targets the cluster reports down, or that are not in it, are never planned,
// and a target that stops mid-drain gets no more packets. This file stops and starts node-3.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {after, before, test} from 'node:test'

import {runCli} from './cli.js'
import {labApi, type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, users, variantConfig, waitForEmptyCluster} from './transfer-fixtures.js'

const NODE_SH = fileURLToPath(new URL('../lab/node.sh', import.meta.url))
const run = promisify(execFile)
let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

/** node.sh stop|start 3, on this lab only (it stops the node by its recorded PID). */
async function node3(action: 'stop' | 'start'): Promise<void> {
  await run('bash', [NODE_SH, action, '3'], {env: {...process.env, XTRANSFER_LAB_DIR: lab.dir}, timeout: 120_000})
}

async function clusterSize(): Promise<number> {
  return (await labApi<string[]>(lab, lab.nodes[0], 'list_cluster')).length
}

after(async () => {
  // Whatever happened, the lab leaves this file with its three nodes.
  if ((await clusterSize().catch(() => 0)) < 3) await node3('start')
})

test('a configured node that is not in the cluster is not a target; the plan says so', async () => {
  const fleet = await fleetOn(lab, 1, users(481, 6))
  try {
    const config = variantConfig(lab, (yaml) => `${yaml.trimEnd()}\n  node-4: { address: 127.0.0.1:9, server: nobody4@localhost }\n`)
    const dry = await runCli(['drain', 'node-1', '--dry-run', '--json', '--config', config])
    assert.equal(dry.code, 0, dry.stderr)
    assert.deepEqual([...dry.json.targets].sort(), ['node-2', 'node-3'])
    assert.ok(dry.json.sessions.every((row: {target: string}) => row.target !== 'node-4'))
    assert.match(dry.json.message, /node-4 is not in the cluster now \(nobody4@localhost not listed\): not a target/)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('a target that stops mid-drain gets no more packets: the rest go to the other target, and the report says so', async () => {
  const names = users(491, 30)
  const fleet = await fleetOn(lab, 1, names)
  try {
    const running = runCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--rate', '2', '--wait', '10s'])
    const deadline = Date.now() + 30_000
    while (fleet.totals().packetsReceived < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    await node3('stop')
    const stoppedAt = Date.now()
    const drained = await running
    assert.match(drained.json.message, /node-3 left the cluster during the run: \d+ session\(s\) went to other nodes instead/, drained.json.message)
    const lateToNode3 = drained.json.sessions.filter((row: {target: string}) => row.target === 'node-3')
    // At 2 packets a second and a check every 2 s, only the first few (and those sent before the stop was seen) go to node-3.
    assert.ok(lateToNode3.length <= 12, `${lateToNode3.length} sent to node-3 (stopped ${Math.round((Date.now() - stoppedAt) / 1000)} s before the end)`)
    assert.ok(drained.json.sessions.filter((row: {target: string}) => row.target === 'node-2').length >= 12)

    // With node-3 down, a new plan leaves it out from the start.
    const dry = await runCli(['drain', 'node-2', '--dry-run', '--json', '--config', labConfigPath(lab)])
    assert.equal(dry.code, 0, dry.stderr)
    assert.deepEqual(dry.json.targets, ['node-1'])
    assert.match(dry.json.message, /node-3 is not in the cluster now/)
    const to3 = await runCli(['move', `${names[0]}@${lab.domain}`, '--to', 'node-3', '--yes', '--config', labConfigPath(lab)])
    assert.equal(to3.code, 2)
    assert.match(to3.stderr, /node-3 is not in the cluster now/)
  } finally {
    await fleet.stop()
    await node3('start')
    assert.equal(await clusterSize(), 3)
    await waitForEmptyCluster(lab, 30_000)
  }
})
