// Clients nobody here wrote, against the TLS lab: for each library (test/clients/), three users
// log in with the domain only (DNS SRV from the lab's DNS server), over STARTTLS verified against
// the lab CA; the server lists them where they say they are; they receive numbered messages;
// after kick_session (<conflict/>) each does what it does by itself (lab-notes: slixmpp under
// poezio's policy and aioxmpp stop, libstrophe under Profanity's and @xmpp/client come back).
//   test/clients/install.sh && node --import tsx --test test/integration/third-party-clients.test.ts
// Users 0101–0112 of the lab, 0113 sends the messages.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'

import {client as createClient, xml, type XmppClient} from '@xmpp/client'

import {Harness, LIBRARIES, type LibraryName} from '../clients/harness.js'
import {allSessions, type LabEnv, labApi, labUser, requireLab, type SessionInfo} from './lab-env.js'

const MESSAGES = 10
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let lab: LabEnv
let sender: XmppClient

before(async () => {
  lab = await requireLab()
  const user = labUser(113)
  sender = createClient({service: lab.nodes[2].service, domain: lab.domain, resource: `sender-${process.pid}`, username: user, password: lab.userPassword})
  sender.reconnect.stop()
  sender.on('error', () => {})
  await sender.start()
})

after(async () => {
  await sender?.stop().catch(() => {})
})

async function listed(jids: string[]): Promise<Map<string, SessionInfo>> {
  const sessions = await allSessions(lab)
  return new Map(sessions.filter((s) => jids.includes(String(s.jid))).map((s) => [String(s.jid), s]))
}

async function waitListed(jids: string[], present: boolean, ms: number): Promise<Map<string, SessionInfo>> {
  const end = Date.now() + ms
  for (;;) {
    const seen = await listed(jids)
    if (present ? seen.size === jids.length : seen.size === 0) return seen
    if (Date.now() > end)
      throw new Error(`expected ${jids.length} sessions ${present ? 'listed' : 'gone'}, the server lists ${[...seen.keys()].join(', ') || 'none'}`)
    await sleep(100)
  }
}

// What each library does by itself after <conflict/> (kick_session), per lab-notes and measured.
const AFTER_CONFLICT: Record<LibraryName, 'reconnects' | 'stops'> = {
  slixmpp: 'stops',
  aioxmpp: 'stops',
  libstrophe: 'reconnects',
  xmppjs: 'reconnects',
}

const FIRST_USER: Record<LibraryName, number> = {slixmpp: 101, aioxmpp: 104, libstrophe: 107, xmppjs: 110}

for (const library of Object.values(LIBRARIES)) {
  describe(library.label, {timeout: 30_000}, () => {
    const names = [0, 1, 2].map((i) => labUser(FIRST_USER[library.name] + i))
    const resource = `tp-${library.name}-${process.pid}`
    let jids: string[]
    let harness: Harness

    before(() => {
      jids = names.map((name) => `${name}@${lab.domain}/${resource}`)
      harness = new Harness(library, {
        domain: lab.domain,
        dnsPort: lab.dnsPort,
        ca: lab.caCert,
        users: names,
        password: lab.userPassword,
        resource,
        reconnectDelayMs: 1000,
      })
    })

    after(async () => {
      await harness?.stop()
    })

    test('logs in through DNS SRV over verified TLS; the server lists each session on the node the client is connected to', async () => {
      const online = await Promise.all(names.map((name) => harness.nth('online', name, 0, 15_000)))
      const c2sPorts = lab.nodes.map((n) => n.c2sPort)
      for (const [i, event] of online.entries()) {
        assert.equal(event.jid, jids[i])
        assert.equal(event.host, '127.0.0.1')
        assert.ok(c2sPorts.includes(Number(event.port)), `${library.name} connected to port ${event.port}: not one of the SRV targets ${c2sPorts}`)
      }
      const seen = await waitListed(jids, true, 5000)
      for (const [i, event] of online.entries()) {
        const node = lab.nodes.find((n) => n.c2sPort === Number(event.port))!
        assert.equal(seen.get(jids[i])?.node, node.name, `${jids[i]} is connected to node ${node.index}'s port`)
      }
      const ready = harness.of('ready')[0]
      assert.equal(ready.capsNode, library.capsNode)
    })

    test(`receives ${MESSAGES} numbered messages each, none lost, none twice`, async () => {
      const since = harness.events.length
      for (let n = 1; n <= MESSAGES; n++) {
        for (const jid of jids) await sender.send(xml('message', {to: jid, type: 'chat', id: `n${n}`}, xml('body', {}, `${library.name} #${n}`)))
      }
      await harness.waitFor(
        () => (harness.events.slice(since).filter((e) => e.event === 'message').length >= MESSAGES * names.length ? true : undefined),
        10_000,
        'all messages',
      )
      await sleep(300) // a duplicate would arrive about now
      for (const name of names) {
        const bodies = harness.events
          .slice(since)
          .filter((e) => e.event === 'message' && e.user === name)
          .map((e) => (e as {body: string}).body)
        assert.deepEqual(
          bodies,
          Array.from({length: MESSAGES}, (_, i) => `${library.name} #${i + 1}`),
          name,
        )
      }
    })

    test(`after kick_session (<conflict/>) it ${AFTER_CONFLICT[library.name] === 'stops' ? 'stays offline' : 'logs in again by itself'}`, async () => {
      const since = harness.events.length
      for (const name of names) await labApi(lab, lab.nodes[0], 'kick_session', {user: name, host: lab.domain, resource, reason: 'third-party test'})
      for (const name of names) {
        const ended = await harness.nth('disconnected', name, since, 5000)
        assert.equal(ended.condition, 'conflict', JSON.stringify(ended))
      }
      if (AFTER_CONFLICT[library.name] === 'stops') {
        for (const name of names) await harness.nth('offline', name, since, 5000)
        await waitListed(jids, false, 5000)
        await sleep(2500) // longer than any reconnect delay used here: still nobody
        assert.equal((await listed(jids)).size, 0)
        assert.equal(harness.events.slice(since).filter((e) => e.event === 'online').length, 0)
      } else {
        for (const name of names) await harness.nth('online', name, since, 10_000)
        await waitListed(jids, true, 5000)
      }
    })
  })
}
