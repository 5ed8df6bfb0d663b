import assert from 'node:assert/strict'
import {chmodSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {parseConfig} from '../../src/config/load-config.js'
import {configYaml, type InitAnswers, proposeAddress, serviceAddress, writeInitFiles} from '../../src/operations/init-config.js'
import {testTempDir} from '../support/temp-dir.js'

const answers = (passwordFile: string): InitAnswers => ({
  domain: 'example.test',
  adminJid: 'admin@example.test',
  service: 'xmpp://127.0.0.1:5222',
  insecurePlain: true,
  directory: {type: 'ejabberd', api: 'http://127.0.0.1:5280/api'},
  nodes: [{name: 'node-1', address: '127.0.0.1:5222', server: 'ejabberd@localhost'}],
  passwordFile,
})

test('init --force over an existing 0644 admin.password leaves a 0600 file with the new password, and no stray temp file', async () => {
  const dir = testTempDir('xt-init-')
  const passwordFile = join(dir, 'admin.password')
  writeFileSync(passwordFile, 'old-password\n')
  chmodSync(passwordFile, 0o644)
  const written = await writeInitFiles(join(dir, 'config.yaml'), answers(passwordFile), 'new-password')
  assert.equal(written.passwordFile, passwordFile)
  assert.equal(statSync(passwordFile).mode & 0o777, 0o600)
  assert.equal(readFileSync(passwordFile, 'utf8'), 'new-password\n')
  assert.deepEqual(readdirSync(dir).sort(), ['admin.password', 'config.yaml'])
  assert.match(readFileSync(join(dir, 'config.yaml'), 'utf8'), /passwordFile: .*admin\.password/)
})

test('a new password file is 0600 from the start', async () => {
  const dir = testTempDir('xt-init-')
  const passwordFile = join(dir, 'admin.password')
  await writeInitFiles(join(dir, 'config.yaml'), answers(passwordFile), 'pw')
  assert.equal(statSync(passwordFile).mode & 0o777, 0o600)
})

test("proposed addresses: the admin's own node is where its service points; others, their host at the same port", () => {
  assert.equal(serviceAddress('xmpp://10.0.0.3:5222'), '10.0.0.3:5222')
  assert.equal(serviceAddress('xmpps://xmpp.example.org'), 'xmpp.example.org:5222')
  assert.equal(proposeAddress('ejabberd@node1.example.org', 'xmpp://10.0.0.3:5222', 'ejabberd@node1.example.org'), '10.0.0.3:5222')
  assert.equal(proposeAddress('ejabberd@node2.example.org', 'xmpp://10.0.0.3:5222', 'ejabberd@node1.example.org'), 'node2.example.org:5222')
  assert.equal(proposeAddress('ejabberd@node2', 'xmpp://10.0.0.3:5333', undefined), 'node2:5333')
})

test('an xep0133 config: no api, each node with its own admin service only when it differs', () => {
  const yaml = configYaml({
    domain: 'example.test',
    adminJid: 'admin@example.test',
    service: 'xmpp://127.0.0.1:27221',
    insecurePlain: true,
    directory: {type: 'xep0133'},
    nodes: [
      {name: 'p-1', address: '127.0.0.1:27221', service: 'xmpp://127.0.0.1:27231'},
      {name: 'p-2', address: '127.0.0.1:27222', service: 'xmpp://127.0.0.1:27222'},
    ],
  })
  const config = parseConfig(yaml)
  assert.deepEqual(config.directory, {type: 'xep0133', timeout: '10s', retryFor: '20s'})
  assert.deepEqual(config.nodes, {
    'p-1': {address: '127.0.0.1:27221', service: 'xmpp://127.0.0.1:27231', server: 'p-1'},
    'p-2': {address: '127.0.0.1:27222', server: 'p-2'},
  })
})
