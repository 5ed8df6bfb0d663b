import assert from 'node:assert/strict'
import {after, before, test} from 'node:test'

import {client, type XmppClient} from '@xmpp/client'
import xml, {type Element} from '@xmpp/xml'

import {type AdminSession, connectAdmin} from '../../src/connection/admin-session.js'
import {RedirectError} from '../../src/connection/follow-redirects.js'
import {NS_DISCO_INFO} from '../../src/protocol/index.js'
import {type LabEnv, labUser, requireLab} from './lab-env.js'

let lab: LabEnv
let admin: AdminSession
const peers: XmppClient[] = []
const seen = new Map<string, Element[]>()

/** A plain client on a node that answers disco#info gets with `answer`. */
async function peer(user: string, node: number, answer: (iq: Element) => Element) {
  const xmpp = client({
    service: lab.nodes[node - 1].service,
    domain: lab.domain,
    resource: 'redir',
    credentials: (auth) => auth({username: user, password: lab.userPassword}, 'PLAIN'),
  })
  xmpp.reconnect.stop()
  xmpp.on('error', () => {})
  const jid = `${user}@${lab.domain}/redir`
  seen.set(jid, [])
  xmpp.on('stanza', (stanza: Element) => {
    if (stanza.name === 'iq' && stanza.attrs.type === 'get' && stanza.getChild('query', NS_DISCO_INFO)) {
      seen.get(jid)!.push(stanza)
      void xmpp.send(answer(stanza))
    }
  })
  await xmpp.start()
  peers.push(xmpp)
  return jid
}

const result = (iq: Element) => xml('iq', {type: 'result', to: iq.attrs.from, id: iq.attrs.id}, xml('query', {xmlns: NS_DISCO_INFO}))
/** The seed's 302: the original payload, and the complete redirected iq inside <error>. */
const redirect =
  (to: string, tamper: Record<string, string> = {}) =>
  (iq: Element) =>
    xml(
      'iq',
      {type: 'error', to: iq.attrs.from, id: iq.attrs.id},
      xml('query', {xmlns: NS_DISCO_INFO}),
      xml(
        'error',
        {code: '302', type: 'modify'},
        xml('iq', {type: 'get', from: iq.attrs.from, id: iq.attrs.id, to, ...tamper}, xml('query', {xmlns: NS_DISCO_INFO})),
      ),
    )

before(async () => {
  lab = await requireLab()
  admin = await connectAdmin({jid: lab.adminJid, password: lab.adminPassword, service: lab.nodes[0].service, insecurePlain: true, resource: 'redirect-test'})
})

after(async () => {
  await admin?.close()
  await Promise.all(peers.map((peer) => peer.stop().catch(() => {})))
})

test("the admin's get follows a valid 302 across nodes and gets the final answer under the same id", async () => {
  const final = await peer(labUser(261), 3, result)
  const middle = await peer(labUser(262), 2, redirect(final))
  const first = await peer(labUser(263), 1, redirect(middle))
  const answer = await admin.request(xml('iq', {type: 'get', to: first, id: 'redir-1'}, xml('query', {xmlns: NS_DISCO_INFO})), 5000)
  assert.equal(answer.attrs.type, 'result')
  assert.equal(answer.attrs.from, final)
  for (const jid of [first, middle, final]) {
    assert.equal(seen.get(jid)!.length, 1, jid)
    assert.equal(seen.get(jid)![0].attrs.id, 'redir-1')
  }
})

test('a redirect that changes the id is not followed, and its target receives nothing', async () => {
  const target = await peer(labUser(264), 3, result)
  const liar = await peer(labUser(265), 1, redirect(target, {id: 'other-id'}))
  await assert.rejects(
    admin.request(xml('iq', {type: 'get', to: liar, id: 'redir-2'}, xml('query', {xmlns: NS_DISCO_INFO})), 5000),
    (error: unknown) => error instanceof RedirectError && /'id'/.test((error as Error).message),
  )
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(seen.get(target)!.length, 0)
})

test('a redirect loop between two real sessions stops', async () => {
  const a = `${labUser(266)}@${lab.domain}/redir`
  const b = `${labUser(267)}@${lab.domain}/redir`
  await peer(labUser(266), 1, redirect(b))
  await peer(labUser(267), 2, redirect(a))
  await assert.rejects(
    admin.request(xml('iq', {type: 'get', to: a, id: 'redir-3'}, xml('query', {xmlns: NS_DISCO_INFO})), 5000),
    (error: unknown) => error instanceof RedirectError && error.reason === 'loop',
  )
})
