// Captures Prosody's real answers to the XEP-0133 commands xtransfer uses, as the
// fixtures of test/unit/xep0133-*.test.ts (test/unit/xep0133-fixtures/*.xml).
// Needs the running Prosody lab (test/lab/prosody-start.sh):
//   node --import tsx test/lab/prosody-capture-fixtures.ts [OUT_DIR]
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {client as createClient, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

const dir = process.env.XTRANSFER_PROSODY_DIR ?? '/tmp/xtransfer-prosody'
const out = process.argv[2] ?? new URL('../unit/xep0133-fixtures/', import.meta.url).pathname
const env = Object.fromEntries(
  readFileSync(join(dir, 'lab.env'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
)
const service = `xmpp://127.0.0.1:${env.LAB_C2S_1}`
const domain = env.LAB_DOMAIN
const adminPassword = readFileSync(env.LAB_ADMIN_PASSWORD_FILE, 'utf8').trim()
const ADMIN = 'http://jabber.org/protocol/admin'

function login(user: string, password: string, resource: string): Promise<XmppClient> {
  const c = createClient({service, domain, resource, username: user, credentials: (auth) => auth({username: user, password}, 'PLAIN')})
  c.reconnect.stop()
  c.on('error', () => {})
  return c.start().then(() => c)
}

let counter = 0
function ask(c: XmppClient, child: Element): Promise<Element> {
  const id = `fx${++counter}`
  return new Promise((resolve) => {
    const onStanza = (stanza: Element) => {
      if (stanza.is('iq') && stanza.attrs.id === id) {
        c.removeListener('stanza', onStanza)
        resolve(stanza)
      }
    }
    c.on('stanza', onStanza)
    void c.send(xml('iq', {type: 'set', to: domain, id}, child))
  })
}

const command = (name: string, attrs: Record<string, string>, ...children: Element[]) =>
  xml('command', {xmlns: 'http://jabber.org/protocol/commands', node: `${ADMIN}#${name}`, ...attrs}, ...children)
const form = (values: Record<string, string | string[]>) =>
  xml(
    'x',
    {xmlns: 'jabber:x:data', type: 'submit'},
    xml('field', {var: 'FORM_TYPE'}, xml('value', {}, ADMIN)),
    ...Object.entries(values).map(([name, value]) => xml('field', {var: name}, ...[value].flat().map((v) => xml('value', {}, v)))),
  )

// The server's stanzas carry our ids and the admin's full JID: keep them as they came.
const save = (name: string, stanza: Element) => writeFileSync(join(out, `${name}.xml`), `${stanza.toString()}\n`)

mkdirSync(out, {recursive: true})
const admin = await login('admin', adminPassword, 'fixtures')
const phone = await login('user0001', env.LAB_USER_PASSWORD, 'phone')
const laptop = await login('user0001', env.LAB_USER_PASSWORD, 'laptop: work (2)')
const other = await login('user0002', env.LAB_USER_PASSWORD, 'rehearsal')
await other.send(xml('presence', {}, xml('show', {}, 'away'), xml('priority', {}, '5')))
await new Promise((resolve) => setTimeout(resolve, 200))

save('online-users-form', await ask(admin, command('get-online-users-list', {action: 'execute'})))
save('online-users-details', await ask(admin, command('get-online-users-list', {action: 'execute'}, form({max_items: 'all', details: '1'}))))
save('online-users-bare', await ask(admin, command('get-online-users-list', {action: 'execute'}, form({max_items: 'all'}))))
save('user-stats-online', await ask(admin, command('user-stats', {action: 'execute'}, form({accountjid: `user0001@${domain}`}))))
save('user-stats-offline', await ask(admin, command('user-stats', {action: 'execute'}, form({accountjid: `user0003@${domain}`}))))
save('user-stats-unknown', await ask(admin, command('user-stats', {action: 'execute'}, form({accountjid: `nobody@${domain}`}))))
save('get-active-users', await ask(admin, command('get-active-users', {action: 'execute'})))
save('end-user-session', await ask(admin, command('end-user-session', {action: 'execute'}, form({accountjids: [`user0001@${domain}/phone`]}))))
save('not-admin', await ask(other, command('get-online-users-list', {action: 'execute'})))

await Promise.all([admin, phone, laptop, other].map((c) => c.stop().catch(() => {})))
console.log(`fixtures written to ${out}`)
