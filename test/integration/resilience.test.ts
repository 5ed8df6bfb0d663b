import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, test} from 'node:test'

import {runCli, spawnCli} from './cli.js'
import {allSessions, labApi, type LabEnv, requireLab, userSessions} from './lab-env.js'
import {fleetOn, labConfigPath, nodeNameOf, users, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** How many packets the run's journal says went out (or were about to). */
function sendingLines(stateDir: string): number {
  const runs = join(stateDir, 'runs')
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
        .filter((line) => line.includes('"type":"sending"')).length,
    0,
  )
}

test('kill -9 half way through a drain of 300, then resume: every user moved, none received two packets', async () => {
  const names = users(1, 300)
  const fleet = await fleetOn(lab, 1, names)
  const stateDir = testTempDir('xtransfer-state-')
  try {
    const child = spawnCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--rate', '40', '--wait', '20s'], {
      XTRANSFER_STATE_DIR: stateDir,
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    const deadline = Date.now() + 30_000
    while (sendingLines(stateDir) < 150 && Date.now() < deadline) await sleep(50)
    child.kill('SIGKILL')
    await exited
    const sentBeforeKill = sendingLines(stateDir)
    assert.ok(sentBeforeKill >= 150 && sentBeforeKill < 300, `killed after ${sentBeforeKill} packets`)

    const listed = await runCli(['runs', '--json'], {env: {XTRANSFER_STATE_DIR: stateDir}})
    assert.equal(listed.json.runs.length, 1)
    const [run] = listed.json.runs
    assert.equal(run.state, 'unfinished')

    const resumed = await runCli(['resume', run.id, '--yes', '--json', '--config', labConfigPath(lab)], {
      env: {XTRANSFER_STATE_DIR: stateDir},
      timeoutMs: 120_000,
    })
    assert.equal(resumed.code, 0, resumed.stderr + JSON.stringify(resumed.json?.summary))
    assert.equal(resumed.json.summary.total, 300)
    assert.equal(resumed.json.summary.moved, 300)
    assert.match(resumed.json.message, /resumed run/)

    // The simulated clients' own count: nobody got a second packet.
    const twice = fleet.stats().filter((stats) => stats.packetsReceived !== 1)
    assert.deepEqual(
      twice.map((s) => `${s.user}:${s.packetsReceived}`),
      [],
    )
    const where = await allSessions(lab)
    assert.equal(where.filter((s) => nodeNameOf(lab, s.node) === 'node-1' && String(s.jid).startsWith('user')).length, 0)

    // The journal holds no secret.
    const journalText = readFileSync(join(stateDir, 'runs', `${run.id}.ndjson`), 'utf8')
    assert.ok(!journalText.includes(lab.adminPassword), 'the admin password is in the journal')
    // The journal of the whole run re-renders, and says it finished.
    const report = await runCli(['report', run.id, '--json'], {env: {XTRANSFER_STATE_DIR: stateDir}})
    assert.equal(report.code, 0)
    assert.equal(report.json.summary.moved, 300)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab, 30_000)
  }
})

test("the admin's connection is closed mid-run: it logs in again and the run completes, nothing re-sent", async () => {
  const names = users(301, 80)
  const fleet = await fleetOn(lab, 1, names)
  const stateDir = testTempDir('xtransfer-state-')
  try {
    const running = runCli(['drain', 'node-1', '--methods', 'packet', '--yes', '--json', '--config', labConfigPath(lab), '--rate', '20', '--wait', '20s'], {
      env: {XTRANSFER_STATE_DIR: stateDir},
    })
    const deadline = Date.now() + 20_000
    while (sendingLines(stateDir) < 30 && Date.now() < deadline) await sleep(25)
    const [user, host] = lab.adminJid.split('@')
    // The run's admin link: its resource is xtransfer-<random> (each connection binds its own). An
    // earlier test's killed CLI may have left one waiting for an XEP-0198 resumption: cut them all.
    const links = (await userSessions(lab, user)).filter((session) => /^xtransfer-[0-9a-f]{6}$/.test(session.resource))
    assert.ok(links.length >= 1, JSON.stringify(links))
    for (const link of links) await labApi(lab, lab.nodes[0], 'kick_session', {user, host, resource: link.resource, reason: 'test: admin link cut'})
    const run = await running
    assert.equal(run.code, 0, `${run.stderr} ${run.json?.error} ${JSON.stringify(run.json?.summary)}`)
    assert.equal(run.json.summary.moved, 80)
    assert.match(run.json.message, /admin link dropped and was restored 1 time/)
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

test('Ctrl-C stops sending, reports what was done with the rest unsent, exits 130, and the run stays resumable', async () => {
  const names = users(341, 40)
  const fleet = await fleetOn(lab, 1, names)
  const stateDir = testTempDir('xtransfer-state-')
  try {
    const child = spawnCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--rate', '10', '--wait', '20s'], {
      XTRANSFER_STATE_DIR: stateDir,
    })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const deadline = Date.now() + 20_000
    while (sendingLines(stateDir) < 10 && Date.now() < deadline) await sleep(25)
    const interruptedAt = Date.now()
    child.kill('SIGINT')
    const code = await exited
    assert.equal(code, 130)
    assert.ok(Date.now() - interruptedAt < 10_000, 'a short grace, not the whole --wait')
    const report = JSON.parse(stdout)
    assert.ok(report.summary.unsent > 0 && report.summary.unsent < 40, JSON.stringify(report.summary))
    assert.equal(report.summary.moved + report.summary.unsent + report.summary.notMoved, 40)
    const runs = await runCli(['runs', '--json'], {env: {XTRANSFER_STATE_DIR: stateDir}})
    assert.equal(runs.json.runs[0].state, 'unfinished')
    const resumed = await runCli(['drain', 'node-1', '--resume', runs.json.runs[0].id, '--yes', '--json', '--config', labConfigPath(lab)], {
      env: {XTRANSFER_STATE_DIR: stateDir},
    })
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.equal(resumed.json.summary.moved, 40)
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
