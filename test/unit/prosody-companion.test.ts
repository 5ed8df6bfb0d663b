// Reading mod_xtransfer's real answers (captured from the Prosody lab with
// test/lab/prosody-capture-companion-fixtures.ts into test/unit/companion-fixtures/).
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, test} from 'node:test'

import parse from '@xmpp/xml/lib/parse.js'

import {CompanionRefused, COMPANION_NODES, ProsodyCompanion} from '../../src/adapters/xep0133/prosody-companion.js'
import {AdHocCommands} from '../../src/adapters/xep0133/ad-hoc-commands.js'

function fixture(name: string) {
  return parse(readFileSync(new URL(`companion-fixtures/${name}.xml`, import.meta.url), 'utf8').trim())
}

/** A companion whose every command is answered with one captured iq; records what was asked. */
function answeredWith(name: string) {
  const asked: string[] = []
  const companion = new ProsodyCompanion(
    new AdHocCommands(async (iq) => {
      asked.push(iq.toString())
      const answer = fixture(name)
      answer.attrs.id = iq.attrs.id
      return answer
    }, 'example.test'),
  )
  return {companion, asked}
}

describe("mod_xtransfer's answers, read", () => {
  test('status: version, server, no cordon, the open port', async () => {
    const {companion, asked} = answeredWith('status')
    assert.deepEqual(await companion.status(), {version: 1, server: '0.12.3', cordon: {mode: 'none'}, listening: ['[127.0.0.1]:31221'], closed: []})
    assert.equal(asked.length, 1, 'one round trip: the filled execute')
    assert.match(asked[0], new RegExp(`node="${COMPANION_NODES.status}"`))
  })

  test('list-sessions: one JSON line per session; an empty caps node is no caps node', async () => {
    const sessions = await answeredWith('list-sessions').companion.listSessions()
    assert.deepEqual(sessions, [
      {
        jid: 'user0001@example.test/fixture',
        ip: '127.0.0.1',
        ageSeconds: 0,
        streamManagement: true,
        resumable: true,
        hibernating: false,
        capsNode: 'https://xtransfer.test/fixture',
      },
      {jid: 'admin@example.test/fixtures', ip: '127.0.0.1', ageSeconds: 2, streamManagement: true, resumable: true, hibernating: false, capsNode: undefined},
    ])
  })

  test('cordon answers carry the status: refuse closes the port, redirect names the target, uncordon reopens', async () => {
    const refused = await answeredWith('cordon-refuse').companion.cordon({mode: 'refuse'})
    assert.deepEqual(refused, {version: 1, server: '0.12.3', cordon: {mode: 'refuse'}, listening: [], closed: ['[127.0.0.1]:31221']})
    const redirected = await answeredWith('cordon-redirect').companion.cordon({mode: 'redirect', to: '127.0.0.1:31222'})
    assert.deepEqual(redirected.cordon, {mode: 'redirect', to: '127.0.0.1:31222'})
    assert.deepEqual(redirected.listening, ['[127.0.0.1]:31221'])
    const lifted = await answeredWith('uncordon').companion.uncordon()
    assert.deepEqual(lifted.cordon, {mode: 'none'})
    assert.deepEqual(lifted.listening, ['[127.0.0.1]:31221'])
  })

  test('the cordon form asks redirect-to only in redirect mode', async () => {
    const {companion, asked} = answeredWith('cordon-redirect')
    await companion.cordon({mode: 'redirect', to: '127.0.0.1:31222'})
    await companion.cordon({mode: 'refuse'})
    assert.match(asked[0], /<field var="redirect-to"><value>127\.0\.0\.1:31222<\/value><\/field>/)
    assert.doesNotMatch(asked[1], /redirect-to/)
  })

  test('close-session: the session ended, delivered', async () => {
    const ended = await answeredWith('close-session').companion.closeSession('user0001@example.test/fixture', 'reset', 'fixture')
    assert.deepEqual(ended, {jid: 'user0001@example.test/fixture', condition: 'reset', delivered: true})
  })

  test('failures: CompanionRefused with the condition of the error field and the note as text', async () => {
    const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
      [
        'redirect-unknown',
        () => answeredWith('redirect-unknown').companion.redirectSession('nobody@example.test/x', 'example.org'),
        'item-not-found',
        /no session nobody@example\.test\/x/,
      ],
      [
        'redirect-bad-host',
        () => answeredWith('redirect-bad-host').companion.redirectSession('user0001@example.test/fixture', '::1'),
        'bad-request',
        /IPv6 address needs brackets/,
      ],
      [
        'close-missing-fields',
        () => answeredWith('close-missing-fields').companion.closeSession('', 'reset'),
        'bad-request',
        /accountjid: Required value missing\ncondition: Required value missing/,
      ],
    ]
    for (const [name, run, condition, text] of cases) {
      await assert.rejects(run(), (error: CompanionRefused) => {
        assert.ok(error instanceof CompanionRefused, name)
        assert.equal(error.condition, condition, name)
        assert.match(error.text, text, name)
        return true
      })
    }
  })
})
