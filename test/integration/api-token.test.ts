// A drain on the real lab asks ejabberd for one OAuth token, scoped to exactly the commands
// it calls, tracks with it, and writes it nowhere: not on stdout, stderr (--debug, XML trace
// included) nor in its journal. The server's own list of tokens says which token it was.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, test} from 'node:test'

import {runCli} from './cli.js'
import {labApi, type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, users, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

interface ListedToken {
  token: string
  user: string
  /** ejabberd 23.01 prints the scope list run together ("list_clusteruser_sessions_info"). */
  scope: string
}

test('drain --debug: one token for the run, scoped to its commands, used for its polls, and written nowhere', async () => {
  const before = new Set((await labApi<ListedToken[]>(lab, lab.nodes[0], 'oauth_list_tokens')).map((row) => row.token))
  const fleet = await fleetOn(lab, 1, users(201, 12))
  const state = testTempDir('xtransfer-token-')
  try {
    const run = await runCli(['drain', 'node-1', '--yes', '--json', '--debug', '--no-cordon', '--config', labConfigPath(lab), '--wait', '30s'], {
      env: {XTRANSFER_STATE_DIR: state},
    })
    assert.equal(run.code, 0, run.stderr.slice(-2000))
    assert.equal(run.json.summary.moved, 12)

    const issued = (await labApi<ListedToken[]>(lab, lab.nodes[0], 'oauth_list_tokens')).filter((row) => !before.has(row.token))
    assert.equal(issued.length, 1, `tokens issued during the run: ${issued.length}`)
    assert.equal(issued[0].user, lab.adminJid)
    const expected = lab.companion
      ? ['list_cluster', 'xtransfer_node_sessions', 'xtransfer_locate', 'xtransfer_handover', 'xtransfer_redirect', 'xtransfer_close']
      : ['list_cluster', 'connected_users_info', 'user_sessions_info']
    assert.equal(issued[0].scope, expected.join(''))

    // Tracking went with the token: the polls after it say so, and none of them needed the password.
    const lines = run.stderr.split('\n')
    const granted = lines.findIndex((line) => /^-- api: an OAuth token \(valid 300 s/.test(line))
    assert.ok(granted > 0, 'no token in --debug')
    const tracking = lines.slice(granted).filter((line) => /^-- api: POST \S+\/(user_sessions_info|connected_users_info|xtransfer_locate) /.test(line))
    assert.ok(tracking.length > 0, 'no tracking poll after the token')
    for (const line of tracking) assert.match(line, /\(token\) -> HTTP 200/)

    const journal = readdirSync(join(state, 'runs')).map((file) => readFileSync(join(state, 'runs', file), 'utf8'))
    for (const [where, text] of [
      ['stdout', run.stdout],
      ['stderr', run.stderr],
      ['the journal', journal.join('')],
    ] as const) {
      assert.ok(!text.includes(issued[0].token), `the token is in ${where}`)
      assert.ok(!text.includes(lab.adminPassword), `the password is in ${where}`)
    }
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})
