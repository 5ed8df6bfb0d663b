import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'

import {type InitAnswers, writeInitFiles} from '../../src/operations/init-config.js'

const answers = (passwordFile: string): InitAnswers => ({
  domain: 'example.test',
  adminJid: 'admin@example.test',
  service: 'xmpp://127.0.0.1:5222',
  insecurePlain: true,
  api: 'http://127.0.0.1:5280/api',
  nodes: [{name: 'node-1', address: '127.0.0.1:5222', server: 'ejabberd@localhost'}],
  passwordFile,
})

test('init --force over an existing 0644 admin.password leaves a 0600 file with the new password, and no stray temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xt-init-'))
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
  const dir = mkdtempSync(join(tmpdir(), 'xt-init-'))
  const passwordFile = join(dir, 'admin.password')
  await writeInitFiles(join(dir, 'config.yaml'), answers(passwordFile), 'pw')
  assert.equal(statSync(passwordFile).mode & 0o777, 0o600)
})
