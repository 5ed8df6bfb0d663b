// Output as terminals and scripts get it, from the built CLI against the lab (issue 16):
// 80 columns, no box drawing and no colour in a pipe, -o wide/name/--no-header, every
// command's --json against its schema in docs/, and the streamed events of a real drain.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, test} from 'node:test'

import Ajv2020 from 'ajv/dist/2020.js'
import stringWidth from 'string-width'

import type {Fleet} from '../../src/fleet/index.js'
import {runCli} from './cli.js'
import {type LabEnv, requireLab} from './lab-env.js'
import {Terminal, stopTerminals} from './terminal.js'
import {fleetOn, labConfigPath, users, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

const readSchema = (name: string) => JSON.parse(readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8'))
const ajv = new Ajv2020.default({strict: true, strictTypes: true, allErrors: true, formats: {'date-time': (text: string) => !Number.isNaN(Date.parse(text))}})
ajv.addSchema(readSchema('report.schema.json'))
ajv.addSchema(readSchema('error.schema.json'))

function assertSchema(name: string, value: unknown) {
  const validate = ajv.getSchema(`urn:xtransfer:schema:${name}`) ?? ajv.compile(readSchema(`${name}.schema.json`))
  assert.ok(validate(value), `${name}.schema.json: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 2000)}`)
}

/** Text a pipe gets: at most 80 columns, no box drawing, no escape codes. */
function assertPlain(text: string, what: string) {
  for (const line of text.split('\n')) assert.ok(stringWidth(line) <= 80, `${what}: ${stringWidth(line)} columns: ${line}`)
  assert.doesNotMatch(text, /[┌┐└┘├┤┬┴┼│─]/, `${what} has box drawing`)
  assert.ok(!text.includes('\x1b'), `${what} has escape codes`)
}

let lab: LabEnv
let fleet: Fleet
let config: string
const state = testTempDir('xtransfer-output-state-')
// The default NO_COLOR of runCli is left out: a pipe must be plain by itself.
const env = {XTRANSFER_STATE_DIR: state, NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined}

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
  config = labConfigPath(lab)
  fleet = await fleetOn(lab, 1, users(301, 12))
})

after(async () => {
  stopTerminals()
  await fleet?.stop()
  await waitForEmptyCluster(lab)
})

test('the listings in a pipe: 80 columns, plain; -o wide adds columns; -o name and --no-header for scripts; --json matches its schema', async () => {
  const nodes = await runCli(['nodes', '--config', config], {env})
  assert.equal(nodes.code, 0, nodes.stderr)
  assertPlain(nodes.stdout, 'nodes')
  assert.match(nodes.stdout, /^NODE +ADDRESS +SESSIONS +STATUS$/m)
  assert.match(nodes.stdout, /^node-1 +127\.0\.0\.1:\d+ +12 +up$/m)
  const wide = await runCli(['nodes', '-o', 'wide', '--config', config], {env})
  assert.match(wide.stdout, new RegExp(`^node-1 +127\\.0\\.0\\.1:\\d+ +${lab.nodes[0].name} +12 +no +yes$`, 'm'))
  assert.deepEqual((await runCli(['nodes', '-o', 'name', '--config', config], {env})).stdout, 'node-1\nnode-2\nnode-3\n')
  const nodesJson = await runCli(['nodes', '-o', 'json', '--config', config], {env})
  assertSchema('nodes', nodesJson.json)
  assert.deepEqual(nodesJson.json, (await runCli(['nodes', '--json', '--config', config], {env})).json, '-o json is --json')

  const sessions = await runCli(['sessions', '--node', 'node-1', '--config', config], {env})
  assertPlain(sessions.stdout, 'sessions')
  assert.match(sessions.stdout, /^12 sessions$/m)
  const bare = await runCli(['sessions', '--node', 'node-1', '--no-header', '--config', config], {env})
  assert.equal(bare.stdout.trim().split('\n').length, 12)
  assert.match(bare.stdout, /^user0301@example\.test\/rehearsal +node-1 +127\.0\.0\.1:\d+ +\d+s$/m)
  const names = await runCli(['sessions', '--node', 'node-1', '-o', 'name', '--config', config], {env})
  assert.deepEqual(
    names.stdout.trim().split('\n'),
    users(301, 12).map((user) => `${user}@${lab.domain}/rehearsal`),
  )
  assertSchema('sessions', (await runCli(['sessions', '--json', '--config', config], {env})).json)
  const sessionsWide = await runCli(['sessions', '--node', 'node-1', '-o', 'wide', '--config', config], {env})
  assert.match(sessionsWide.stdout, /^JID +NODE +SERVER +ADDRESS +UPTIME +SM +RESUMABLE +CLIENT$/m)

  const probe = await runCli(['probe', '--node', 'node-1', '--config', config], {env})
  assert.equal(probe.code, 0, probe.stderr)
  assertPlain(probe.stdout, 'probe')
  assert.match(probe.stdout, /^user0301@example\.test\/rehearsal +node-1 +ok +both$/m)
  assertSchema('probe', (await runCli(['probe', '--node', 'node-1', '--json', '--config', config], {env})).json)
})

test('nodes --debug prints each HTTP API call as a -- api: line on stderr, nothing on stdout', async () => {
  const run = await runCli(['nodes', '--debug', '-o', 'name', '--config', config], {env})
  assert.equal(run.code, 0)
  assert.equal(run.stdout, 'node-1\nnode-2\nnode-3\n')
  assert.match(run.stderr, /^-- api: POST http:\/\/127\.0\.0\.1:\d+\/api\/list_cluster \((Basic|token)\) -> HTTP 200, \d+ bytes in \d+ ms$/m)
  assert.ok(!run.stderr.includes(lab.adminPassword))
})

test('cordon and uncordon --json match their schema; -o name prints the node', async () => {
  if (!lab.companion) return
  const cordon = await runCli(['cordon', 'node-3', '--json', '--config', config], {env})
  assert.equal(cordon.code, 0, cordon.stderr)
  assertSchema('cordon', cordon.json)
  assert.equal(cordon.json.cordoned, true)
  const uncordon = await runCli(['uncordon', 'node-3', '-o', 'name', '--config', config], {env})
  assert.equal(uncordon.stdout, 'node-3\n')
  const state3 = await runCli(['uncordon', 'node-3', '-o', 'json', '--config', config], {env})
  assertSchema('cordon', state3.json)
  assert.equal(state3.json.cordoned, false)
})

test('a dry run in a pipe: the summary first, then jid, from, target and the first method', async () => {
  const run = await runCli(['drain', 'node-1', '--dry-run', '--config', config], {env})
  assert.equal(run.code, 0, run.stderr)
  assertPlain(run.stdout, 'dry run')
  const lines = run.stdout.split('\n')
  assert.equal(lines[0], 'drain plan: 12 sessions → node-2 6, node-3 6')
  assert.match(run.stdout, /^JID +FROM +TARGET +METHOD$/m)
  assert.match(run.stdout, /^user0301@example\.test\/rehearsal +node-1 +node-[23] +packet$/m)
  assert.doesNotMatch(run.stdout, /LATENCY|OUTCOME/)
  const stream = await runCli(['drain', 'node-1', '--dry-run', '-o', 'ndjson', '--config', config], {env})
  const events = stream.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  for (const event of events) assertSchema('events', event)
  assert.deepEqual(
    events.map((event) => event.type),
    [...Array(12).fill('planned'), 'summary'],
  )
  assert.equal(events.at(-1).dryRun, true)
})

test('-o ndjson: a real drain streams the journal as it happens, each line valid, the summary last with the exit code', async () => {
  const run = await runCli(['drain', 'node-1', '--yes', '-o', 'ndjson', '--config', config], {env, timeoutMs: 120_000})
  assert.equal(run.code, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  const events = lines.map((line) => JSON.parse(line))
  for (const event of events) assertSchema('events', event)
  const types = events.map((event) => event.type)
  assert.equal(types[0], 'run')
  assert.equal(types.at(-1), 'summary')
  assert.equal(types.filter((type) => type === 'planned').length, 12)
  assert.equal(types.filter((type) => type === 'settled').length, 12)
  assert.equal(types.filter((type) => type === 'sending').length, types.filter((type) => type === 'sent').length)
  // Per session: planned, then its moves, then settled, in that order.
  for (const user of users(301, 12)) {
    const own = events.filter((event) => event.jid === `${user}@${lab.domain}/rehearsal`).map((event) => event.type)
    assert.equal(own[0], 'planned')
    assert.equal(own.at(-1), 'settled')
    assert.ok(own.indexOf('sending') < own.indexOf('sent'), own.join(','))
  }
  const summary = events.at(-1)
  assert.equal(summary.exitCode, 0)
  assert.equal(summary.summary.moved, 12)
  assert.equal(summary.runId, events[0].runId)
  // The piped progress goes to stderr, as plain lines.
  assert.match(run.stderr, /^progress: 12\/12 settled, 12 moved/m)

  // The same run, listed and reported again: plain, 80 columns, and valid JSON.
  const runs = await runCli(['runs'], {env})
  assertPlain(runs.stdout, 'runs')
  assert.match(runs.stdout, new RegExp(`^${summary.runId} +drain node-1 +12/12 +exit 0$`, 'm'))
  assertSchema('runs', (await runCli(['runs', '--json'], {env})).json)
  assert.equal((await runCli(['runs', '-o', 'name'], {env})).stdout.split('\n')[0], summary.runId)
  const report = await runCli(['report', summary.runId], {env})
  assertPlain(report.stdout, 'report')
  assert.match(report.stdout, /^JID +FROM +TO +LATENCY +OUTCOME$/m)
  assert.match(report.stdout, /^12 selected: 12 moved/m)
  const quiet = await runCli(['report', summary.runId, '--quiet'], {env})
  assert.doesNotMatch(quiet.stdout, /^JID|rehearsal/m)
  assert.match(quiet.stdout, /^12 selected: 12 moved/m)
})

test('errors under -o json and -o ndjson are JSON on stdout, parse errors included', async () => {
  const json = await runCli(['drain', 'node-9', '--dry-run', '-o', 'json', '--config', config], {env})
  assert.equal(json.code, 2)
  assertSchema('error', json.json)
  const ndjson = await runCli(['drain', 'node-9', '--dry-run', '-o', 'ndjson', '--config', config], {env})
  assert.equal(ndjson.code, 2)
  assert.equal(ndjson.stdout.split('\n').filter(Boolean).length, 1)
  const line = JSON.parse(ndjson.stdout)
  assertSchema('events', line)
  assert.equal(line.type, 'error')
  const parse = await runCli(['nodes', '-o', 'json', '--bogus', '--config', config], {env})
  assert.equal(parse.code, 2)
  assert.match(parse.json.error.message, /unknown flag --bogus/)
  const both = await runCli(['nodes', '--json', '-o', 'wide', '--config', config], {env})
  assert.equal(both.code, 2)
  assert.match(both.json.error.message, /--json and -o wide ask for two formats/)
})

test('FORCE_COLOR colours a pipe; CI=true means no prompt: a run without --yes is refused', async () => {
  const forced = await runCli(['nodes', '--config', config], {env: {...env, FORCE_COLOR: '1'}})
  // eslint-disable-next-line no-control-regex -- the colour's escape code is what is checked
  assert.match(forced.stdout, /\x1b\[32mup\x1b\[39m/)
  const ci = await runCli(['drain', 'node-2', '--config', config], {env: {...env, CI: 'true'}})
  assert.equal(ci.code, 2)
  assert.match(ci.stderr, /^xtransfer: CI is set: no prompts: add --yes/m)
})

test('on a terminal: colour by default; NO_COLOR, TERM=dumb and CI turn it off', async () => {
  const screens: Record<string, string> = {}
  const cases: Record<string, Record<string, string | null>> = {
    colour: {NO_COLOR: null},
    noColor: {NO_COLOR: '1'},
    dumb: {NO_COLOR: null, TERM: 'dumb'},
    ci: {NO_COLOR: null, CI: 'true'},
  }
  for (const [name, extra] of Object.entries(cases)) {
    const term = Terminal.start(['nodes', '--config', config], {TERM: 'xterm-256color', ...extra})
    try {
      assert.equal(await term.exitCode(), 0)
      screens[name] = term.screen({escapes: true})
    } finally {
      term.close()
    }
  }
  // eslint-disable-next-line no-control-regex -- escape codes are what is checked
  assert.match(screens.colour, /\x1b\[32mup/, screens.colour)
  // eslint-disable-next-line no-control-regex -- escape codes are what is checked
  for (const name of ['noColor', 'dumb', 'ci']) assert.doesNotMatch(screens[name], /\x1b\[3\dm/, `${name}: ${screens[name]}`)
})

test('--verbose on a terminal: each step on its own line as it happens, no bar left behind, then the report', async () => {
  // The main fleet sits on node-2 and node-3 after the drain above: move names these three only.
  const few = await fleetOn(lab, 2, users(321, 3))
  const jids = users(321, 3).map((user) => `${user}@${lab.domain}/rehearsal`)
  const term = Terminal.start(['move', ...jids, '--to', 'node-3', '--yes', '--verbose', '--config', config], {XTRANSFER_STATE_DIR: state})
  try {
    assert.equal(await term.exitCode(90_000), 0, term.screen())
    const screen = term.screen()
    for (const user of users(321, 3)) {
      const jid = `${user}@${lab.domain}/rehearsal`.replace(/\./g, '\\.')
      assert.match(screen, new RegExp(`^\\+\\d+\\.\\d{3}s ${jid} {2}sending packet → node-3$`, 'm'))
      assert.match(screen, new RegExp(`^\\+\\d+\\.\\d{3}s ${jid} {2}sent: result in \\d+ ms$`, 'm'))
      assert.match(screen, new RegExp(`^\\+\\d+\\.\\d{3}s ${jid} {2}moved on node-3 after [\\d.]+ m?s by packet$`, 'm'))
    }
    assert.match(screen, /^3 selected: 3 moved/m)
    assert.doesNotMatch(screen, /^\[[█▒░]+\]/m, 'the bar is cleared before the report')
  } finally {
    term.close()
    await few.stop()
  }
})
