// Ctrl-C and SIGTERM during a drain (issue 13 item 18): said at once, the run stays
// resumable and the last line says how to resume it.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, test} from 'node:test'

import type {Fleet} from '../../src/fleet/index.js'
import {runCli, spawnCli} from './cli.js'
import {type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, users, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

let lab: LabEnv
let fleet: Fleet

// Users that take the packet and never answer nor move: whatever was sent stays in flight.
before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
  fleet = await fleetOn(lab, 1, users(101, 20), {behaviour: () => 'ignore'})
})

after(async () => {
  await fleet?.stop()
  await waitForEmptyCluster(lab, 30_000)
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const INTERRUPTED = /^interrupted: stopping, watching (\d+) in flight for 5 s \(Ctrl-C again to stop now\)$/m

function sendingLines(stateDir: string): number {
  try {
    return readdirSync(join(stateDir, 'runs')).reduce(
      (n, file) =>
        n +
        readFileSync(join(stateDir, 'runs', file), 'utf8')
          .split('\n')
          .filter((line) => line.includes('"type":"sending"')).length,
      0,
    )
  } catch {
    return 0
  }
}

/** A drain of node-1 at 5/s, with its stderr kept as it arrives. */
async function startDrain(stateDir: string, extra: string[] = []) {
  const child = spawnCli(['drain', 'node-1', '--yes', '--config', labConfigPath(lab), '--rate', '5', '--ack-timeout', '2s', '--wait', '30s', ...extra], {
    XTRANSFER_STATE_DIR: stateDir,
  })
  const output = {stdout: '', stderr: ''}
  child.stdout.on('data', (chunk) => (output.stdout += chunk))
  child.stderr.on('data', (chunk) => (output.stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const deadline = Date.now() + 30_000
  while (sendingLines(stateDir) < 4 && Date.now() < deadline) await sleep(25)
  assert.ok(sendingLines(stateDir) >= 4, `the drain never sent: ${output.stderr}`)
  return {child, output, exited}
}

async function waitFor(get: () => string, pattern: RegExp, ms: number): Promise<number> {
  const started = Date.now()
  while (!pattern.test(get())) {
    if (Date.now() - started > ms) assert.fail(`no ${pattern} within ${ms} ms:\n${get()}`)
    await sleep(20)
  }
  return Date.now() - started
}

async function onlyRun(stateDir: string): Promise<{id: string; state: string}> {
  const runs = await runCli(['runs', '--json'], {env: {XTRANSFER_STATE_DIR: stateDir}})
  assert.equal(runs.json.runs.length, 1)
  return runs.json.runs[0]
}

test('Ctrl-C during a drain: says so at once with what is in flight, reports after the grace, ends with the resume line (exit 130)', async () => {
  const stateDir = testTempDir('xtransfer-state-')
  const {child, output, exited} = await startDrain(stateDir)
  child.kill('SIGINT')
  const saidAfter = await waitFor(() => output.stderr, INTERRUPTED, 2_000)
  assert.ok(saidAfter < 1_000, `said after ${saidAfter} ms`)
  assert.ok(Number(INTERRUPTED.exec(output.stderr)![1]) >= 1, output.stderr)
  const interruptedAt = Date.now()
  assert.equal(await exited, 130)
  // The grace (5 s) plus at most one --ack-timeout (2 s) for a packet whose answer was awaited.
  assert.ok(Date.now() - interruptedAt < 9_000, `took ${Date.now() - interruptedAt} ms`)
  const run = await onlyRun(stateDir)
  assert.equal(run.state, 'unfinished')
  assert.match(output.stdout, /unsent/)
  const lines = output.stderr.trim().split('\n')
  assert.equal(lines.at(-1), `resume with: xtransfer resume ${run.id}`)
})

test('SIGTERM is handled like Ctrl-C, and a second signal stops at once with the resume line (exit 130)', async () => {
  const stateDir = testTempDir('xtransfer-state-')
  const {child, output, exited} = await startDrain(stateDir, ['--json'])
  child.kill('SIGTERM')
  await waitFor(() => output.stderr, INTERRUPTED, 2_000)
  const secondAt = Date.now()
  child.kill('SIGINT')
  assert.equal(await exited, 130)
  assert.ok(Date.now() - secondAt < 2_000, `the second signal took ${Date.now() - secondAt} ms`)
  const run = await onlyRun(stateDir)
  assert.equal(run.state, 'unfinished')
  assert.equal(output.stderr.trim().split('\n').at(-1), `resume with: xtransfer resume ${run.id}`)
  assert.equal(output.stdout, '', 'stopped before any report')
})
