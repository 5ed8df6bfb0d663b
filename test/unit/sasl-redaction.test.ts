import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {test} from 'node:test'

import xml from '@xmpp/xml'

import {redactSasl} from '../../src/connection/xml-trace.js'
import {startFakeSasl2Server} from './sasl2/fake-server.js'

const CHILD = fileURLToPath(new URL('./sasl2/login-child.ts', import.meta.url))
const PASSWORD = 'pw-Sasl2-leak-check'
const SIGNATURE = 'v=server-signature-proof'

function secretsIn(text: string): string[] {
  const forms = [PASSWORD, SIGNATURE, `\0admin\0${PASSWORD}`, `\0${PASSWORD}`]
  return forms
    .flatMap((form) => [form, Buffer.from(form).toString('base64'), Buffer.from(`${form}`).toString('base64').replace(/=+$/, '')])
    .filter((form) => text.includes(form))
}

test('--debug trace of a SASL2 login (PLAIN in <initial-response>, <success> additional data) holds no secret', async () => {
  const server = await startFakeSasl2Server(SIGNATURE)
  try {
    const {stdout, stderr} = await new Promise<{stdout: string; stderr: string}>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', CHILD, `xmpps://127.0.0.1:${server.port}`],
        {
          env: {...process.env, NODE_EXTRA_CA_CERTS: server.caFile, CHILD_ADMIN_PASSWORD: PASSWORD},
          timeout: 30_000,
        },
        (error, out, err) => (error ? reject(Object.assign(error, {stderr: err})) : resolve({stdout: out, stderr: err})),
      )
    })
    // The login really went through SASL2 with the password: otherwise this test proves nothing.
    assert.match(stdout, /online as admin@example\.test\/xtransfer/)
    assert.deepEqual(server.logins, [`\0admin\0${PASSWORD}`])
    assert.match(stderr, /<authenticate xmlns="urn:xmpp:sasl:2" mechanism="PLAIN">/)
    assert.match(stderr, /<initial-response>\[redacted\]<\/initial-response>/)
    assert.match(stderr, /<additional-data>\[redacted\]<\/additional-data>/)
    assert.deepEqual(secretsIn(stderr), [])
  } finally {
    await server.close()
  }
})

test('every SASL and SASL2 payload is redacted, with children or not; other stanzas are left alone', () => {
  const cases = [
    xml('auth', {xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl', mechanism: 'PLAIN'}, 'AGFkbWluAHNlY3JldA=='),
    xml('challenge', {xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl'}, 'cj1ub25jZSxzPXNhbHQsaT00MDk2'),
    xml('response', {xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl'}, 'Yz1iaXdzLHI9bm9uY2UscD1wcm9vZg=='),
    xml('success', {xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl'}, 'dj1zaWduYXR1cmU='),
    xml(
      'authenticate',
      {xmlns: 'urn:xmpp:sasl:2', mechanism: 'SCRAM-SHA-1'},
      xml('initial-response', {}, 'biwsbj1hZG1pbixyPW5vbmNl'),
      xml('user-agent', {id: 'u1'}, xml('software', {}, 'xtransfer')),
    ),
    xml('challenge', {xmlns: 'urn:xmpp:sasl:2'}, 'cj1ub25jZSxzPXNhbHQsaT00MDk2'),
    xml('response', {xmlns: 'urn:xmpp:sasl:2'}, 'Yz1iaXdzLHI9bm9uY2UscD1wcm9vZg=='),
    xml(
      'success',
      {xmlns: 'urn:xmpp:sasl:2'},
      xml('additional-data', {}, 'dj1zaWduYXR1cmU='),
      xml('token', {xmlns: 'urn:xmpp:fast:0', token: 'fast-token-secret', expiry: '2026-12-31T00:00:00Z'}),
    ),
  ]
  for (const element of cases) {
    const out = redactSasl(element)
    for (const secret of ['AGFkbWluAHNlY3JldA==', 'cj1ub25j', 'Yz1iaXdz', 'dj1zaWdu', 'biwsbj1h', 'fast-token-secret']) {
      assert.ok(!out.includes(secret), `${secret} in ${out}`)
    }
    assert.match(out, /\[redacted\]/, out)
    assert.ok(out.startsWith(`<${element.name} `), out)
  }
  // The mechanism stays visible: it is what an operator debugging a login needs.
  assert.match(redactSasl(cases[0]), /mechanism="PLAIN"/)
  const message = xml('message', {to: 'a@example.test'}, xml('body', {}, 'hello'))
  assert.equal(redactSasl(message), message.toString())
})
