import assert from 'node:assert/strict'
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, test} from 'node:test'

import type {Fleet} from '../../src/fleet/index.js'
import {runCli} from './cli.js'
import {type LabEnv, requireLab} from './lab-env.js'
import {fleetOn, labConfigPath, users, variantConfig, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

let lab: LabEnv
let fleet: Fleet

// One user on node-1, so that a drain has something to send and must log in.
before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
  fleet = await fleetOn(lab, 1, users(251, 1))
})

after(async () => {
  await fleet?.stop()
})

function oneLine(stderr: string) {
  const lines = stderr.trim().split('\n')
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`)
  assert.match(lines[0], /^xtransfer: /)
}

const serviceVariant = (service: string, insecurePlain = true) =>
  variantConfig(lab, (yaml) => yaml.replace(/service: .*/, `service: ${service}`).replace(/insecurePlain: true/, `insecurePlain: ${insecurePlain}`))

const drain = (config: string, extra: string[] = []) => runCli(['drain', 'node-1', '--yes', '--config', config, '--wait', '2s', ...extra])

test('the admin XMPP server refusing connections: exit 4, one line, nothing sent', async () => {
  const run = await drain(serviceVariant('xmpp://127.0.0.1:1'))
  assert.equal(run.code, 4, run.stderr)
  oneLine(run.stderr)
  assert.match(run.stderr, /refused the connection/)
  assert.equal(fleet.totals().packetsReceived, 0)
})

test('an unknown host: exit 5', async () => {
  const run = await drain(serviceVariant('xmpp://no-such-host.invalid:5222'))
  assert.equal(run.code, 5, run.stderr)
  oneLine(run.stderr)
})

test('a certificate that does not verify (self-signed, STARTTLS): exit 6', async () => {
  const port = readFileSync(join(lab.dir, 'lab.env'), 'utf8').match(/LAB_TLS_PORT=(\d+)/)![1]
  const run = await drain(serviceVariant(`xmpp://127.0.0.1:${port}`, false))
  assert.equal(run.code, 6, run.stderr)
  oneLine(run.stderr)
  assert.match(run.stderr, /TLS failed.*self[- ]signed/i)
})

test('TLS is the default: a server that offers no TLS is refused before the password is sent (exit 6)', async () => {
  const run = await drain(serviceVariant(`xmpp://127.0.0.1:${lab.nodes[0].plainPort}`, false), ['--debug'])
  assert.equal(run.code, 6, run.stderr)
  assert.match(run.stderr, /offered no TLS/)
  assert.doesNotMatch(run.stderr, /<auth /, 'no SASL exchange may start on a plain socket')
})

test('a wrong password: exit 3, one line, the password never printed', async () => {
  const secret = 'not-the-password-xyzzy'
  const run = await runCli(['drain', 'node-1', '--yes', '--config', variantConfig(lab, (yaml) => yaml.replace(/\s*passwordFile: .*/, ''))], {
    env: {XTRANSFER_PASSWORD: secret},
  })
  assert.equal(run.code, 3, run.stderr)
  oneLine(run.stderr)
  assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret))
})

test('bad input: one line, exit 2, nothing sent', async () => {
  const config = labConfigPath(lab)
  const cases: Array<[string[], RegExp]> = [
    [['drain', 'node-9', '--yes', '--config', config], /unknown node "node-9"/],
    [['drain', 'node-1', '--to', 'node-1', '--yes', '--config', config], /--to node-1 is the node being drained/],
    [['drain', 'node-1', '--rate', '0', '--yes', '--config', config], /--rate/],
    [['drain', 'node-1', '--wait', '10', '--yes', '--config', config], /needs a unit/],
    [['drain', 'node-1', '--namespace', 'jabber', '--yes', '--config', config], /srvxfr, cxfr, both/],
    [['move', 'not a jid', '--to', 'node-2', '--yes', '--config', config], /malformed JID/],
    [['move', `a@${lab.domain}`, '--to', 'bad host!', '--yes', '--config', config], /neither a configured node/],
    // Issue 13 item 6: a typo of a node name was sent as a host name (getaddrinfo ENOTFOUND node-9).
    [['move', `a@${lab.domain}`, '--to', 'node-9', '--yes', '--config', config], /--to "node-9" is not a configured node \(did you mean "node-1"\?\)/],
    [['sessions', '--node', 'nowhere', '--config', config], /unknown node/],
  ]
  for (const [args, message] of cases) {
    const run = await runCli(args)
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
    oneLine(run.stderr)
    assert.match(run.stderr, message, args.join(' '))
  }
  assert.equal(fleet.totals().packetsReceived, 0)
})

test('a config that is not YAML, and a password file others can read: exit 2', async () => {
  const dir = testTempDir('xtransfer-bad-')
  writeFileSync(join(dir, 'bad.yaml'), 'domain: [unclosed\n  admin: {')
  let run = await runCli(['nodes', '--config', join(dir, 'bad.yaml')])
  assert.equal(run.code, 2)
  assert.match(run.stderr, /not valid YAML/)
  writeFileSync(join(dir, 'pw'), 'secret-in-a-file\n')
  chmodSync(join(dir, 'pw'), 0o644)
  run = await runCli(['nodes', '--config', labConfigPath(lab), '--password-file', join(dir, 'pw')])
  assert.equal(run.code, 2)
  oneLine(run.stderr)
  assert.match(run.stderr, /chmod 600/)
  assert.doesNotMatch(run.stderr, /secret-in-a-file/)
})

test('the directory API: each failure says what to fix, one line (ejabberd 23.01 answers)', async () => {
  const apiVariant = (api: string, edit: (yaml: string) => string = (yaml) => yaml) =>
    variantConfig(lab, (yaml) => edit(yaml.replace(/api: .*/, `api: ${api}`)))
  const withoutPasswordFile = (yaml: string) => yaml.replace(/\s*passwordFile: .*/, '')
  const cases: Array<{what: string; config: string; env?: Record<string, string>; code: number; message: RegExp}> = [
    {
      what: 'a c2s port',
      config: apiVariant(`http://127.0.0.1:${lab.nodes[0].c2sPort}/api`),
      code: 3,
      message: /not HTTP \(HPE_INVALID_CONSTANT\): is that an XMPP \(c2s\) port\?/,
    },
    {
      what: 'a wrong path',
      config: apiVariant(lab.nodes[0].api.replace(/\/api$/, '/nothere')),
      code: 3,
      message: /no ejabberd API at http:\/\/127\.0\.0\.1:\d+\/nothere \(HTTP 404; is mod_http_api on that listener/,
    },
    {
      what: 'a wrong password',
      config: apiVariant(lab.nodes[0].api, withoutPasswordFile),
      env: {XTRANSFER_PASSWORD: 'not-the-password'},
      code: 3,
      message: /wrong admin password or JID \(admin@example\.test\), HTTP 401/,
    },
    {
      what: 'a JID that is no admin',
      config: apiVariant(lab.nodes[0].api, (yaml) => withoutPasswordFile(yaml).replace(/jid: admin@/, 'jid: user0001@')),
      env: {XTRANSFER_PASSWORD: lab.userPassword},
      code: 3,
      message: /HTTP 403\): allow the admin JID in ejabberd's api_permissions/,
    },
    {what: 'an unknown host', config: apiVariant('https://no-such-host.invalid:5443/api'), code: 5, message: /unknown host in directory\.api/},
  ]
  for (const {what, config, env, code, message} of cases) {
    const started = Date.now()
    const run = await runCli(['nodes', '--config', config], {env})
    assert.equal(run.code, code, `${what}: ${run.stderr}`)
    oneLine(run.stderr)
    assert.match(run.stderr, message, what)
    assert.ok(Date.now() - started < 10_000, `${what}: ${Date.now() - started} ms (retried?)`)
  }
})

test('--json errors are one JSON object with the exit code', async () => {
  const run = await runCli(['drain', 'node-9', '--yes', '--json', '--config', labConfigPath(lab)])
  assert.equal(run.code, 2)
  assert.deepEqual(Object.keys(run.json.error).sort(), ['exitCode', 'kind', 'message'])
  assert.equal(run.json.error.exitCode, 2)
})

test('--debug traces redact SASL and never contain the password (runs last: it really moves the user)', async () => {
  const password = readFileSync(join(lab.dir, 'admin.password'), 'utf8').trim()
  const run = await runCli(['move', `${users(251, 1)[0]}@${lab.domain}`, '--to', 'node-2', '--yes', '--debug', '--config', labConfigPath(lab)])
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stderr, /<auth [^>]*>\[redacted\]<\/auth>/)
  assert.match(run.stderr, /jabber:iq:srvxfr/)
  for (const secret of [password, Buffer.from(password).toString('base64')]) {
    assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), 'password leaked')
  }
})
