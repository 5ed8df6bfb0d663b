// Captures mod_xtransfer's real answers (the Prosody lab with the companion on) as the fixtures
// of test/unit/prosody-companion.test.ts (test/unit/companion-fixtures/*.xml). Leaves the lab
// uncordoned and without the sessions it opened.
//   XTRANSFER_PROSODY_DIR=... node --import tsx test/lab/prosody-capture-companion-fixtures.ts [OUT_DIR]
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {client as createClient, xml} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {connectAdmin} from '../../src/connection/admin-session.js'
import {COMPANION_NODES} from '../../src/adapters/xep0133/prosody-companion.js'
import {NS_COMMANDS} from '../../src/adapters/xep0133/forms.js'

const dir = process.env.XTRANSFER_PROSODY_DIR ?? '/tmp/xtransfer-prosody'
const out = process.argv[2] ?? new URL('../unit/companion-fixtures/', import.meta.url).pathname
const env = Object.fromEntries(
  readFileSync(join(dir, 'lab.env'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
)
const domain = env.LAB_DOMAIN
const admin = await connectAdmin({
  jid: env.LAB_ADMIN_JID,
  password: readFileSync(env.LAB_ADMIN_PASSWORD_FILE, 'utf8').trim(),
  service: `xmpp://127.0.0.1:${env.LAB_ADMIN_PORT_1}`,
  insecurePlain: true,
  resource: 'fixtures',
})

const user = createClient({
  service: `xmpp://127.0.0.1:${env.LAB_C2S_1}`,
  domain,
  resource: 'fixture',
  credentials: (auth) => auth({username: 'user0001', password: env.LAB_USER_PASSWORD}, 'PLAIN'),
})
user.reconnect.stop()
user.on('error', () => {})
await user.start()
await user.send(
  xml(
    'presence',
    {},
    xml('c', {xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://xtransfer.test/fixture', ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w='}),
  ),
)

mkdirSync(out, {recursive: true})
// The filled first `execute`, as AdHocCommands sends it.
async function capture(name: string, node: string, values: Record<string, string> = {}): Promise<void> {
  const fields = Object.entries(values).map(([key, value]) => xml('field', {var: key}, xml('value', {}, value)))
  const answer: Element = await admin.request(
    xml(
      'iq',
      {type: 'set', to: domain},
      xml('command', {xmlns: NS_COMMANDS, node, action: 'execute'}, xml('x', {xmlns: 'jabber:x:data', type: 'submit'}, ...fields)),
    ),
  )
  writeFileSync(join(out, `${name}.xml`), `${answer.toString()}\n`)
}

await capture('status', COMPANION_NODES.status)
await capture('list-sessions', COMPANION_NODES.listSessions)
await capture('redirect-unknown', COMPANION_NODES.redirectSession, {accountjid: `nobody@${domain}/x`, host: 'example.org'})
await capture('redirect-bad-host', COMPANION_NODES.redirectSession, {accountjid: `user0001@${domain}/fixture`, host: '::1'})
await capture('close-missing-fields', COMPANION_NODES.closeSession, {})
await capture('cordon-redirect', COMPANION_NODES.cordon, {mode: 'redirect', 'redirect-to': `127.0.0.1:${env.LAB_C2S_2}`})
await capture('cordon-refuse', COMPANION_NODES.cordon, {mode: 'refuse'})
await capture('uncordon', COMPANION_NODES.uncordon)
await capture('close-session', COMPANION_NODES.closeSession, {accountjid: `user0001@${domain}/fixture`, condition: 'reset', text: 'fixture'})
await user.stop().catch(() => {})
await admin.close()
console.log(`fixtures written to ${out}`)
