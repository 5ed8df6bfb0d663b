// Issue 13: the tool never does what the operator did not ask. Each test here failed on the
// code before the fix (see the items in the comments).
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, test} from 'node:test'

import {runCli, spawnCli} from './cli.js'
import {allSessions, type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, nodeNameOf, users, variantConfig, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const stateDir = () => testTempDir('xtransfer-state-')

function journalLines(dir: string, type: string): number {
  const runs = join(dir, 'runs')
  let files: string[]
  try {
    files = readdirSync(runs)
  } catch {
    return 0
  }
  return files.reduce(
    (n, file) =>
      n +
      readFileSync(join(runs, file), 'utf8')
        .split('\n')
        .filter((line) => line.includes(`"type":"${type}"`)).length,
    0,
  )
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

test('item 1: --dry-run with --resume prints the plan and sends nothing; the real resume then finishes the run', async () => {
  const fleet = await fleetOn(lab, 1, users(401, 20))
  const state = stateDir()
  const env = {XTRANSFER_STATE_DIR: state}
  try {
    const child = spawnCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--rate', '10', '--wait', '20s'], env)
    const exited = new Promise((resolve) => child.on('exit', resolve))
    await until('5 packets', () => journalLines(state, 'sending') >= 5)
    child.kill('SIGKILL')
    await exited
    const sent = fleet.totals().packetsReceived
    const runId = (await runCli(['runs', '--json'], {env})).json.runs[0].id

    const dry = await runCli(['drain', 'node-1', '--resume', runId, '--yes', '--dry-run', '--json', '--config', labConfigPath(lab)], {env})
    assert.equal(dry.code, 0, dry.stderr)
    assert.equal(dry.json.dryRun, true)
    assert.match(dry.json.message, /dry run: nothing sent/)
    assert.ok(dry.json.sessions.every((row: {outcome: string}) => row.outcome === 'planned'))
    await sleep(1_000)
    assert.equal(fleet.totals().packetsReceived, sent, 'the dry run sent packets')
    assert.equal(journalLines(state, 'resumed'), 0, 'the dry run touched the journal')

    // The same through `resume RUN --dry-run`.
    const dryResume = await runCli(['resume', runId, '--dry-run', '--json', '--config', labConfigPath(lab)], {env})
    assert.equal(dryResume.code, 0, dryResume.stderr)
    assert.equal(dryResume.json.dryRun, true)
    assert.deepEqual(
      dryResume.json.sessions.map((row: {jid: string}) => row.jid),
      dry.json.sessions.map((row: {jid: string}) => row.jid),
    )
    await sleep(1_000)
    assert.equal(fleet.totals().packetsReceived, sent, 'resume --dry-run sent packets')
    assert.equal(journalLines(state, 'resumed'), 0, 'resume --dry-run touched the journal')

    const real = await runCli(['resume', runId, '--yes', '--json', '--config', labConfigPath(lab)], {env, timeoutMs: 90_000})
    assert.equal(real.code, 0, real.stderr + JSON.stringify(real.json?.summary))
    assert.equal(real.json.summary.moved, 20)
    assert.deepEqual(
      fleet
        .stats()
        .filter((s) => s.packetsReceived !== 1)
        .map((s) => s.user),
      [],
    )
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab, 30_000)
  }
})

test('item 3: a run that failed before sending is recorded failed with its exit code, and is not resumable', async () => {
  const fleet = await fleetOn(lab, 1, users(421, 3))
  const state = stateDir()
  const env = {XTRANSFER_STATE_DIR: state}
  try {
    const config = variantConfig(lab, (yaml) => yaml.replace(/service: .*/, 'service: xmpp://no-such-host.invalid:5222'))
    const failed = await runCli(['drain', 'node-1', '--yes', '--config', config], {env})
    assert.equal(failed.code, 5, failed.stderr)
    const [run] = (await runCli(['runs', '--json'], {env})).json.runs
    assert.equal(run.state, 'failed')
    assert.equal(run.exitCode, 5)
    assert.equal(run.sent, 0)
    const report = await runCli(['report', run.id], {env})
    assert.equal(report.code, 5)
    const resumed = await runCli(['resume', run.id, '--yes', '--config', labConfigPath(lab)], {env})
    assert.equal(resumed.code, 2)
    assert.match(resumed.stderr, /finished already \(exit 5\)/)
    assert.equal(fleet.totals().packetsReceived, 0)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('item 4: a second drain of the same node refuses (exit 2, naming the first run); everyone gets one packet', async () => {
  const fleet = await fleetOn(lab, 1, users(431, 30))
  const state = stateDir()
  const env = {XTRANSFER_STATE_DIR: state}
  try {
    const first = runCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--rate', '5', '--wait', '20s'], {env})
    await until('the first run sending', () => journalLines(state, 'sending') >= 2)
    const second = await runCli(['drain', 'node-1', '--yes', '--config', labConfigPath(lab), '--rate', '15'], {env})
    assert.equal(second.code, 2, second.stderr)
    assert.match(second.stderr, /node-1 is being moved by run \S+-drain-\S+ \(drain, pid \d+ on /)
    const done = await first
    assert.equal(done.code, 0, done.stderr)
    assert.equal(done.json.summary.moved, 30)
    assert.deepEqual(
      fleet
        .stats()
        .filter((s) => s.packetsReceived !== 1)
        .map((s) => `${s.user}:${s.packetsReceived}`),
      [],
    )
    // The lock went with the run: a third drain (of an empty node now) just runs.
    const third = await runCli(['drain', 'node-1', '--yes', '--config', labConfigPath(lab)], {env})
    assert.equal(third.code, 0, third.stderr)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab, 30_000)
  }
})

test('item 8: a list of API URLs and admin services fails over in order, at once; --debug says who answered', async () => {
  const fleet = await fleetOn(lab, 3, users(461, 1))
  try {
    const api = lab.nodes[1].api
    const config = variantConfig(lab, (yaml) =>
      yaml.replace(/api: .*/, `api: [http://127.0.0.1:1/api, ${api}]`).replace(/service: \[(.*)\]/, 'service: [xmpp://127.0.0.1:1, $1]'),
    )
    const started = Date.now()
    const run = await runCli(['drain', 'node-3', '--dry-run', '--preflight', '--json', '--debug', '--config', config])
    assert.equal(run.code, 0, run.stderr)
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`)
    assert.equal(run.json.preflight.probed, 1)
    assert.match(run.stderr, new RegExp(`-- api: failed over to ${api.replace(/[.]/g, '\\.')}/`))
    assert.match(run.stderr, /-- admin: .*127\.0\.0\.1:1 refused the connection; trying xmpp:/)
    assert.match(run.stderr, /-- admin: logged in at xmpp:\S+ as admin@\S+\/xtransfer-[0-9a-f]{6}/)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('item 19: --timeout ends the whole run (exit 7) with what is pending and how to continue; the resume finishes it', async () => {
  const fleet = await fleetOn(lab, 1, users(471, 20))
  const state = stateDir()
  const env = {XTRANSFER_STATE_DIR: state}
  try {
    const run = await runCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--rate', '2', '--timeout', '4s'], {env})
    assert.equal(run.code, 7, run.stderr + JSON.stringify(run.json?.summary) + run.json?.message)
    assert.equal(run.json.resumable, true)
    assert.ok(run.json.summary.unsent > 0, JSON.stringify(run.json.summary))
    assert.match(run.json.error, /--timeout 4s passed/)
    assert.match(run.json.message, new RegExp(`resume with: xtransfer resume ${run.json.runId}`))
    const human = await runCli(['report', run.json.runId], {env})
    assert.equal(human.code, 7)
    const resumed = await runCli(['resume', run.json.runId, '--yes', '--json', '--config', labConfigPath(lab)], {env, timeoutMs: 90_000})
    assert.equal(resumed.code, 0, resumed.stderr + JSON.stringify(resumed.json?.summary))
    assert.equal(resumed.json.summary.moved, 20)
    const left = (await allSessions(lab)).filter((s) => nodeNameOf(lab, s.node) === 'node-1' && String(s.jid).startsWith('user047'))
    assert.deepEqual(left, [])
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab, 30_000)
  }
})
