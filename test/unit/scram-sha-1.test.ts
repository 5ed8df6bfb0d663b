import assert from 'node:assert/strict'
import {test} from 'node:test'

import {client} from '@xmpp/client'

import {SCRAM_SHA_1_ALIAS, ScramSha1, useScramSha1} from '../../src/connection/scram-sha-1.js'

// RFC 5802, section 5: user "user", password "pencil".
const CLIENT_NONCE = 'fyko+d2lbbFgONRv9qkxdawL'
const SERVER_FIRST = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'
const CLIENT_FINAL = 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='

test("SCRAM-SHA-1 answers RFC 5802's example exactly", async () => {
  const mechanism = new ScramSha1(() => CLIENT_NONCE)
  const credentials = {username: 'user', password: 'pencil'}
  assert.equal(await mechanism.response(credentials), `n,,n=user,r=${CLIENT_NONCE}`)
  mechanism.challenge(SERVER_FIRST)
  assert.equal(await mechanism.response(credentials), CLIENT_FINAL)
  // The server-final-message (v=…) needs no answer.
  mechanism.challenge('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')
  assert.equal(await mechanism.response(credentials), '')
})

test('SCRAM-SHA-1 escapes , and = in the username', async () => {
  const mechanism = new ScramSha1(() => 'abc')
  assert.equal(await mechanism.response({username: 'a,b=c', password: 'x'}), 'n,,n=a=2Cb=3Dc,r=abc')
})

test('SCRAM-SHA-1 refuses a server nonce that does not extend ours, an absurd iteration count and a server error', async () => {
  const start = async () => {
    const mechanism = new ScramSha1(() => CLIENT_NONCE)
    await mechanism.response({username: 'user', password: 'pencil'})
    return mechanism
  }
  await assert.rejects(async () => (await start()).challenge('r=someoneelse,s=QSXCR+Q6sek8bf92,i=4096'), /nonce/)
  await assert.rejects(async () => (await start()).challenge(`r=${CLIENT_NONCE},s=QSXCR+Q6sek8bf92,i=4096`), /nonce/)
  await assert.rejects(async () => (await start()).challenge(`r=${CLIENT_NONCE}x,s=QSXCR+Q6sek8bf92,i=1000000000`), /iteration/)
  await assert.rejects(async () => (await start()).challenge('e=invalid-proof'), /refused \(invalid-proof\)/)
})

test("a real @xmpp/client's SASL factory creates ours under the alias, named SCRAM-SHA-1 on the wire", () => {
  const xmpp = client({service: 'xmpp://127.0.0.1:1', domain: 'example.test'})
  assert.ok(xmpp.saslFactory, '@xmpp/client exposes its SASL factory')
  useScramSha1(xmpp.saslFactory)
  const factory = xmpp.saslFactory as unknown as {create(names: string[]): {name: string} | null}
  const ours = factory.create([SCRAM_SHA_1_ALIAS])
  assert.ok(ours instanceof ScramSha1)
  assert.equal(ours.name, 'SCRAM-SHA-1')
  // xmpp.js's own stays what the plain name gives: only the alias picks ours.
  assert.ok(!(factory.create(['SCRAM-SHA-1']) instanceof ScramSha1))
})
