import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import {type AddressInfo} from 'node:net'
import {after, before, test} from 'node:test'

import {runCli} from './cli.js'
import {type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, users, variantConfig, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

let lab: LabEnv
let proxy: Server
let broken = false
let calls = 0

/** A switchable fault in front of the real ejabberd API: forwards, or answers 503. */
before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
  proxy = createServer(async (request, response) => {
    calls++
    if (broken) {
      response.writeHead(503).end('down for the test')
      return
    }
    const body = await new Promise<string>((resolve) => {
      let text = ''
      request.on('data', (chunk) => (text += chunk))
      request.on('end', () => resolve(text))
    })
    const upstream = await fetch(`${lab.nodes[0].api}${request.url!.replace(/^\/api/, '')}`, {
      method: 'POST',
      headers: {authorization: request.headers.authorization ?? '', 'content-type': 'application/json'},
      body,
    })
    response.writeHead(upstream.status, {'content-type': 'application/json'}).end(await upstream.text())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
})

after(() => {
  proxy?.close()
})

test('the directory stays down mid-run for longer than --wait: sending stops, what is known is reported, exit 3', async () => {
  const names = users(331, 30)
  const fleet = await fleetOn(lab, 1, names)
  const port = (proxy.address() as AddressInfo).port
  const config = variantConfig(lab, (yaml) => yaml.replace(/api: .*/, `api: http://127.0.0.1:${port}/api\n  retryFor: 2s`))
  try {
    const state = testTempDir('xtransfer-state-')
    const running = runCli(['drain', 'node-1', '--yes', '--json', '--config', config, '--rate', '3', '--wait', '3s'], {env: {XTRANSFER_STATE_DIR: state}})
    // Break it once sending is under way (a fixed pause raced the CLI's start on a busy machine).
    const deadline = Date.now() + 30_000
    while (fleet.totals().packetsReceived < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    broken = true
    const callsAtBreak = calls
    const run = await running
    assert.equal(run.code, 3, run.stderr)
    assert.match(run.json.error, /HTTP 503/)
    assert.ok(run.json.summary.unsent > 0, JSON.stringify(run.json.summary))
    assert.ok(run.json.summary.total === 30)
    assert.ok(calls - callsAtBreak >= 3, `retried ${calls - callsAtBreak} times`)
    assert.ok(fleet.totals().packetsReceived < 30, 'sending stopped')
    // Issue 13 item 7: what was in flight is unknown (not "not moved"), and the run can be resumed.
    const {summary} = run.json
    assert.equal(summary.notMoved, 0, JSON.stringify(summary))
    assert.equal(summary.moved + summary.unknown + summary.unsent, 30, JSON.stringify(summary))
    assert.equal(run.json.resumable, true)
    const [listed] = (await runCli(['runs', '--json'], {env: {XTRANSFER_STATE_DIR: state}})).json.runs
    assert.equal(listed.state, 'unfinished')
    assert.equal(listed.exitCode, 3)
    broken = false
    const resumed = await runCli(['resume', run.json.runId, '--yes', '--json', '--config', config], {env: {XTRANSFER_STATE_DIR: state}, timeoutMs: 90_000})
    assert.equal(resumed.code, 0, resumed.stderr + JSON.stringify(resumed.json?.summary))
    assert.equal(resumed.json.summary.moved, 30)
  } finally {
    broken = false
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})
