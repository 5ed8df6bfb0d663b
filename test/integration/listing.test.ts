import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, test} from 'node:test'

import type {Fleet} from '../../src/fleet/index.js'
import {runCli} from './cli.js'
import {type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, users, variantConfig, waitForEmptyCluster} from './transfer-fixtures.js'

let lab: LabEnv
let fleets: Fleet[] = []

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
  fleets = [await fleetOn(lab, 1, users(271, 3)), await fleetOn(lab, 2, users(274, 2))]
})

after(async () => {
  await Promise.all(fleets.map((fleet) => fleet.stop()))
})

test('--version prints the package version; --help lists the commands', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  const version = await runCli(['--version'])
  assert.equal(version.code, 0)
  assert.match(version.stdout, new RegExp(`^xtransfer/${pkg.version.replace(/\./g, '\\.')} `))
  const help = await runCli(['--help'])
  for (const command of ['drain', 'move', 'nodes', 'sessions', 'simulate', 'runs', 'report', 'resume'])
    assert.match(help.stdout, new RegExp(`\\b${command}\\b`))
})

test('nodes: the three lab nodes form one cluster, with their live session counts', async () => {
  const run = await runCli(['nodes', '--json', '--config', labConfigPath(lab)])
  assert.equal(run.code, 0, run.stderr)
  const byName = Object.fromEntries(run.json.nodes.map((node: {name: string}) => [node.name, node]))
  assert.deepEqual(Object.keys(byName).sort(), ['node-1', 'node-2', 'node-3'])
  for (const node of Object.values(byName) as Array<{seen: boolean}>) assert.equal(node.seen, true)
  assert.equal(byName['node-1'].sessions, 3)
  assert.equal(byName['node-2'].sessions, 2)
  assert.equal(byName['node-3'].sessions, 0)
})

test('sessions: filter by node and by user, table or --json', async () => {
  const config = labConfigPath(lab)
  const onNode2 = await runCli(['sessions', '--node', 'node-2', '--json', '--config', config])
  assert.equal(onNode2.code, 0, onNode2.stderr)
  assert.deepEqual(
    onNode2.json.sessions.map((s: {jid: string}) => s.jid),
    users(274, 2).map((u) => `${u}@${lab.domain}/rehearsal`),
  )
  for (const session of onNode2.json.sessions) {
    assert.equal(session.node, 'node-2')
    assert.equal(session.ip, '127.0.0.1')
    assert.ok(session.uptimeSeconds >= 0)
  }
  const one = await runCli(['sessions', '--user', `${users(271, 1)[0]}@${lab.domain}`, '--config', config])
  assert.equal(one.code, 0)
  assert.match(one.stdout, /user0271@example\.test\/rehearsal.*node-1.*127\.0\.0\.1:\d+/)
  assert.match(one.stdout, /^1 session$/m)
})

test('no password anywhere and no terminal: exit 2 naming the ways to give one', async () => {
  const run = await runCli(['nodes', '--config', variantConfig(lab, (yaml) => yaml.replace(/\s*passwordFile: .*/, ''))])
  assert.equal(run.code, 2)
  assert.match(run.stderr, /^xtransfer: no admin password: set XTRANSFER_PASSWORD/)
})

test('nodes can be named as the cluster names them (drain xtlab1@localhost, sessions --node xtlab2@localhost)', async () => {
  const config = labConfigPath(lab)
  const onNode2 = await runCli(['sessions', '--node', lab.nodes[1].name, '--json', '--config', config])
  assert.equal(onNode2.code, 0, onNode2.stderr)
  assert.deepEqual(
    onNode2.json.sessions.map((s: {node: string}) => s.node),
    ['node-2', 'node-2'],
  )
  const drain = await runCli(['drain', lab.nodes[0].name, '--to', lab.nodes[2].name, '--dry-run', '--json', '--config', config])
  assert.equal(drain.code, 0, drain.stderr)
  assert.equal(drain.json.source, 'node-1')
  assert.deepEqual(drain.json.targets, ['node-3'])
  assert.equal(drain.json.summary.total, 3)
  const typo = await runCli(['drain', lab.nodes[0].name.replace('@', '@@'), '--dry-run', '--config', config])
  assert.equal(typo.code, 2)
  assert.match(typo.stderr, new RegExp(`did you mean "${lab.nodes[0].name}"\\?`))
})
