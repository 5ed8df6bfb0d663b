// The client helper and the fleet against the real ejabberd lab (test/lab/start.sh).
//   NODE_EXTRA_CA_CERTS=$LAB_TLS_CERT node --import tsx --test test/integration/client-helper.test.ts
// (the STARTTLS tests need the process to trust the certificate of the lab's STARTTLS
// listener, LAB_TLS_PORT; Node reads NODE_EXTRA_CA_CERTS only at startup).
// Users 0341–0399 of the lab are used here (the last 59 of a smaller lab), with resources
// unique to this run.
import assert from 'node:assert/strict'
import {createServer, type Socket} from 'node:net'
import {after, before, describe, test} from 'node:test'

import {client as createClient, type ClientOptions, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {followTransfers, guardStreamManagementCount, type TransferFailed, type TransferFollower, type Transferred} from '../../src/client/index.js'
import {abandon, reconnectIsActive} from '../../src/client/xmpp-internals.js'
import {type FleetEvent, startFleet} from '../../src/fleet/index.js'
import {buildTransferIq, NS_CXFR, NS_SRVXFR, parseServer, type TransferNamespace} from '../../src/protocol/index.js'
import {openConnections, trackConnections} from '../support/open-connections.js'
import {allSessions, labApi, type LabEnv, type LabNode, labUser, requireLab, userSessions} from './lab-env.js'

const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let lab: LabEnv
let admin: XmppClient
const toClose: XmppClient[] = []

function plain(username: string, password: string): NonNullable<ClientOptions['credentials']> {
  return (auth) => auth({username, password}, 'PLAIN')
}

/** An app's client: PLAIN (plain-TCP lab), auto-reconnect left ON as apps have it. */
function appClient(node: LabNode, user: string, resource?: string): XmppClient {
  const c = createClient({service: node.service, domain: lab.domain, resource, username: user, credentials: plain(user, lab.userPassword)})
  c.on('error', () => {})
  toClose.push(c)
  return c
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(20)
  }
}

function once<T>(helper: TransferFollower, event: 'transferred' | 'transfer-failed', ms = 20_000): Promise<T> {
  const waiting = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms)
    timer.unref()
    helper.once(event, (value: unknown) => {
      clearTimeout(timer)
      resolve(value as T)
    })
  })
  // Awaited later, or not at all if the test failed before: never an unhandled rejection.
  waiting.catch(() => {})
  return waiting
}

/**
 * Until the admin's node lists the session: a session bound on another node a few ms ago
 * may not be in that node's copy of the session table yet ("User session not found").
 */
function sessionSeen(user: string, resource: string): Promise<unknown> {
  return waitFor(async () => (await userSessions(lab, user, lab.nodes[2])).some((s) => s.resource === resource), 5000, `${user}/${resource} seen from node 3`)
}

let ids = 0
/** The admin's own transfer iq to a full JID; resolves with the answer (result or error). */
async function sendTransfer(to: string, server: string, namespace: TransferNamespace = NS_SRVXFR, timeout = 5000, domain = lab.domain): Promise<Element> {
  const address = parseServer(server)
  assert.ok(address.ok, server)
  const iq = buildTransferIq({to, id: `xfer-${RUN}-${++ids}`}, {namespace, domain, server: address.value})
  return admin.iqCaller.request(iq, timeout)
}

/** User n of 341–399, or the same place counted from the end of a lab with fewer users. */
function helperUser(n: number): string {
  return labUser(lab.userCount >= 399 ? n : n - 399 + lab.userCount)
}

/**
 * Where the lab's sessions may be sent (the helper's allowedServers): every node's c2s
 * listener, the STARTTLS listener, and 127.0.0.1:1 (refused: the tests of failed moves).
 * Exact host:port pairs: any other port of 127.0.0.1 is as foreign as another host.
 */
function labServers(): string[] {
  return [...lab.nodes.map(hostPort), ...(lab.tls ? [`${lab.host}:${lab.tls.port}`] : []), '127.0.0.1:1']
}

function hostPort(node: LabNode): string {
  return `${lab.host}:${node.c2sPort}`
}

/** A node's plain (no TLS) listener: what a downgrade would move an encrypted session to. */
function plainHostPort(node: LabNode): string {
  return `${lab.host}:${node.plainPort}`
}

before(async () => {
  trackConnections()
  lab = await requireLab()
  admin = createClient({
    service: lab.nodes[2].service,
    domain: lab.domain,
    resource: `xt-admin-${RUN}`,
    username: 'admin',
    credentials: plain(lab.adminJid.split('@')[0], lab.adminPassword),
  })
  admin.reconnect.stop()
  admin.on('error', () => {})
  await admin.start()
})

after(async () => {
  // Each stop() is bounded (5 s, then the socket goes): one waiting for a goodbye that never
  // comes must not hold the file open. What else can is handled after the stops, below.
  const bounded = (c: XmppClient) =>
    Promise.race([
      c.stop().then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000).unref()),
    ])
  const stopped = await Promise.all(toClose.map(bounded))
  const stuck = toClose.filter((_, i) => !stopped[i])
  if (stuck.length) console.log(`# ${stuck.length} client(s) did not stop in 5 s (status: ${stuck.map((c) => c.status).join(', ')}): dropped`)
  await Promise.all(stuck.map((c) => abandon(c)))
  if (admin && !(await bounded(admin))) await abandon(admin)
  // A client connected now would keep the file open until the runner's timeout: it happened in CI
  // on 2026-12-02 and here in 2 runs of about 40. No TCP socket was open when this clean-up ended,
  // one to node 2 with stream management on was a minute later. By now, what a stop() scheduled
  // has run (xmpp.js's reconnect looks 1 s after a disconnect). Whatever is still connected is
  // named (its session, by local port, and where it was opened from), and ended.
  await sleep(1500)
  const left = openConnections()
  if (left.length === 0) return
  const sessions = await allSessions(lab).catch(() => [])
  // No client of this process may reconnect once its connection is ended (all share one class).
  ;(Object.getPrototypeOf(admin.reconnect) as {scheduleReconnect: () => void}).scheduleReconnect = () => {}
  for (const connection of left) {
    const session = sessions.find((s) => Number(s.port) === connection.localPort)
    console.log(
      `# left connected after the clean-up: ${session?.jid ?? 'no session'} (${connection.remote}, local port ${connection.localPort}), opened ${connection.openedAgoMs} ms ago: ${connection.stack}`,
    )
    if (session)
      await labApi(lab, lab.nodes[0], 'kick_session', {
        user: String(session.jid).split('@')[0],
        host: lab.domain,
        resource: session.resource,
        reason: 'left after the tests',
      }).catch(() => {})
    connection.socket.destroy()
  }
})

describe('followTransfers against ejabberd', {timeout: 60_000}, () => {
  test('(1) a follower on node 1 answers result and ends on node 2 with the same resource; it can be moved again', async () => {
    const user = helperUser(391)
    const resource = `xt-follow-${RUN}`
    const c = appClient(lab.nodes[0], user, resource)
    await c.start()
    await sessionSeen(user, resource)
    const helper = followTransfers(c, {allowedServers: labServers(), credentials: plain(user, lab.userPassword), trustedAdmins: [lab.adminJid]})
    const jid = `${user}@${lab.domain}/${resource}`

    const moved = once<Transferred>(helper, 'transferred')
    const answer = await sendTransfer(jid, hostPort(lab.nodes[1]))
    assert.equal(answer.attrs.type, 'result')
    const event = await moved
    toClose.push(event.client)
    assert.equal(helper.client, event.client)
    assert.equal(event.client.jid?.toString(), jid)
    assert.equal(event.oldStream, 'conflict', 'ejabberd replaced the old session')
    await waitFor(() => c.status === 'disconnect' || c.status === 'offline', 3000, 'the old stream to close')
    assert.equal(reconnectIsActive(c), false, 'the old client does not come back')
    assert.equal(reconnectIsActive(event.client), true, 'the new one reconnects as the app had it')
    const sessions = await waitFor(
      async () => {
        const list = (await userSessions(lab, user)).filter((s) => s.resource === resource)
        return list.length === 1 && list[0].node === lab.nodes[1].name ? list : undefined
      },
      5000,
      `${jid} alone on ${lab.nodes[1].name}`,
    )
    console.log(`# (1) moved node1→node2 in ${event.ms.toFixed(0)} ms; server: ${sessions.map((s) => `${s.resource}@${s.node}`).join(',')}`)

    // Again, with the urn:xmpp:cxfr namespace, from the new client.
    const again = once<Transferred>(helper, 'transferred')
    assert.equal((await sendTransfer(jid, hostPort(lab.nodes[2]), NS_CXFR)).attrs.type, 'result')
    const second = await again
    toClose.push(second.client)
    await waitFor(
      async () => {
        const list = (await userSessions(lab, user)).filter((s) => s.resource === resource)
        return list.length === 1 && list[0].node === lab.nodes[2].name
      },
      5000,
      `${jid} on ${lab.nodes[2].name}`,
    )
    console.log(`# (1) moved node2→node3 in ${second.ms.toFixed(0)} ms`)
    await helper.stop()
  })

  test('(2) make-before-break with a message every 20 ms: none lost, never without a bound session', async () => {
    const user = helperUser(392)
    const resource = `xt-mbb-${RUN}`
    const jid = `${user}@${lab.domain}/${resource}`
    const received = new Map<string, {client: XmppClient; delayed: boolean}>()
    const listen = (client: XmppClient) =>
      client.on('stanza', (stanza: Element) => {
        if (stanza.name === 'message' && stanza.attrs.id?.startsWith(`m-${RUN}-`)) {
          received.set(stanza.attrs.id, {client, delayed: Boolean(stanza.getChild('delay', 'urn:xmpp:delay'))})
        }
      })
    const c = appClient(lab.nodes[0], user, resource)
    listen(c)
    await c.start()
    await sessionSeen(user, resource)
    const helper = followTransfers(c, {
      allowedServers: labServers(),
      credentials: plain(user, lab.userPassword),
      trustedAdmins: [lab.adminJid],
      prepare: listen,
    })

    // The server's view, polled during the switch: is there a session with this resource?
    let polling = true
    const polls = {count: 0, empty: 0}
    const poller = (async () => {
      while (polling) {
        const sessions = await userSessions(lab, user, lab.nodes[2])
        polls.count += 1
        if (!sessions.some((s) => s.resource === resource)) polls.empty += 1
        await sleep(5)
      }
    })()

    const sent: string[] = []
    let sending = true
    const sender = (async () => {
      while (sending) {
        const id = `m-${RUN}-${sent.length + 1}`
        sent.push(id)
        admin.send(xml('message', {to: jid, id, type: 'chat'}, xml('body', {}, id))).catch(() => {})
        await sleep(20)
      }
    })()
    // Past ejabberd's one-second tie-break (minSessionAge), so the move itself is measured.
    await sleep(1200)
    const moved = once<Transferred>(helper, 'transferred')
    assert.equal((await sendTransfer(jid, hostPort(lab.nodes[1]))).attrs.type, 'result')
    const event = await moved
    toClose.push(event.client)
    await sleep(300)
    sending = false
    await sender
    polling = false
    await poller
    await waitFor(() => sent.every((id) => received.has(id)), 3000, 'every message').catch(() => undefined)

    const lost = sent.filter((id) => !received.has(id))
    const onOld = [...received.values()].filter((r) => r.client === c).length
    const onNew = [...received.values()].filter((r) => r.client === event.client).length
    console.log(
      `# (2) ${sent.length} messages: ${onOld} on the old stream, ${onNew} on the new, ${lost.length} lost; move ${event.ms.toFixed(0)} ms; old stream: ${event.oldStream}; ${polls.count} server polls, ${polls.empty} without the session`,
    )
    assert.deepEqual(lost, [])
    assert.equal([...received.values()].filter((r) => r.delayed).length, 0, 'nothing went through offline storage')
    assert.ok(onOld > 0 && onNew > 0, 'messages on both streams')
    assert.equal(polls.empty, 0, 'the server always had a session with this resource')
    assert.equal(event.oldStream, 'conflict')
    await helper.stop()
  })

  test('(3) a transfer to an unreachable address keeps the old session up and working', async () => {
    const user = helperUser(393)
    const resource = `xt-fail-${RUN}`
    const jid = `${user}@${lab.domain}/${resource}`
    const c = appClient(lab.nodes[0], user, resource)
    await c.start()
    await sessionSeen(user, resource)
    const helper = followTransfers(c, {allowedServers: labServers(), credentials: plain(user, lab.userPassword), trustedAdmins: [lab.adminJid]})
    const failed = once<TransferFailed>(helper, 'transfer-failed')
    assert.equal((await sendTransfer(jid, '127.0.0.1:1')).attrs.type, 'result')
    const event = await failed
    console.log(`# (3) transfer-failed after ${event.ms.toFixed(0)} ms: ${event.error.message}`)
    assert.match(event.error.message, /ECONNREFUSED/)
    assert.equal(event.online, true)
    assert.equal(helper.client, c)
    assert.equal(c.status, 'online')
    assert.equal(reconnectIsActive(c), true, 'auto-reconnect is back on')
    const sessions = (await userSessions(lab, user)).filter((s) => s.resource === resource)
    assert.deepEqual(
      sessions.map((s) => s.node),
      [lab.nodes[0].name],
    )
    // Still working: a message arrives, a ping is answered.
    const got = new Promise<Element>((resolve) => c.on('stanza', (s: Element) => s.name === 'message' && s.attrs.id === `alive-${RUN}` && resolve(s)))
    await admin.send(xml('message', {to: jid, id: `alive-${RUN}`, type: 'chat'}, xml('body', {}, 'still there?')))
    assert.equal((await Promise.race([got, sleep(3000).then(() => undefined)]))?.getChildText('body'), 'still there?')
    const pong = await c.iqCaller.request(xml('iq', {type: 'get', to: lab.domain}, xml('ping', {xmlns: 'urn:xmpp:ping'})), 3000)
    assert.equal(pong.attrs.type, 'result')
    await helper.stop()
  })

  test('(6) break-before-make on the same client object keeps a server-assigned resource', async () => {
    const user = helperUser(394)
    const c = appClient(lab.nodes[0], user)
    await c.start()
    const resource = c.jid?.resource ?? ''
    assert.ok(resource.length > 0)
    await sessionSeen(user, resource)
    const helper = followTransfers(c, {allowedServers: labServers(), mode: 'break-before-make', trustedAdmins: [lab.adminJid]})
    const moved = once<Transferred>(helper, 'transferred')
    assert.equal((await sendTransfer(c.jid!.toString(), hostPort(lab.nodes[1]))).attrs.type, 'result')
    const event = await moved
    assert.equal(event.client, c)
    assert.equal(c.jid?.resource, resource)
    assert.equal(c.options.service, lab.nodes[1].service)
    const sessions = await waitFor(
      async () => {
        const list = await userSessions(lab, user)
        return list.length === 1 && list[0].node === lab.nodes[1].name ? list : undefined
      },
      5000,
      `${user} on node 2`,
    )
    assert.equal(sessions[0].resource, resource)
    console.log(`# (6) break-before-make node1→node2 in ${event.ms.toFixed(0)} ms (old stream closed, new bound)`)
    await helper.stop()
  })

  test('(8) break-before-make to an unreachable address logs in again where it was', async () => {
    const user = helperUser(390)
    const resource = `xt-bbm-fail-${RUN}`
    const c = appClient(lab.nodes[0], user, resource)
    await c.start()
    await sessionSeen(user, resource)
    const helper = followTransfers(c, {allowedServers: labServers(), mode: 'break-before-make', trustedAdmins: [lab.adminJid]})
    const failed = once<TransferFailed>(helper, 'transfer-failed')
    assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, '127.0.0.1:1')).attrs.type, 'result')
    const event = await failed
    assert.equal(event.online, true)
    assert.equal(event.client, c)
    assert.equal(c.status, 'online')
    assert.equal(c.options.service, lab.nodes[0].service)
    const sessions = await waitFor(
      async () => {
        const list = (await userSessions(lab, user)).filter((s) => s.resource === resource)
        return list.length === 1 ? list : undefined
      },
      5000,
      `${user}/${resource} back`,
    )
    assert.equal(sessions[0].node, lab.nodes[0].name)
    console.log(`# (8) break-before-make to 127.0.0.1:1: back on node 1 after ${event.ms.toFixed(0)} ms`)
    await helper.stop()
  })

  test('(12) break-before-make with credentials logs in while the old stream closes, and binds only once it has', async () => {
    const user = helperUser(389)
    const resource = `xt-bbm-pre-${RUN}`
    const c = appClient(lab.nodes[0], user, resource)
    const at: Record<string, number> = {}
    c.on('status', (status: string) => {
      if (status === 'closing' || status === 'close') at[`old ${status}`] ??= performance.now()
    })
    await c.start()
    await sessionSeen(user, resource)
    const helper = followTransfers(c, {
      allowedServers: labServers(),
      mode: 'break-before-make',
      trustedAdmins: [lab.adminJid],
      credentials: plain(user, lab.userPassword),
      prepare: (fresh) =>
        fresh.on('status', (status: string) => {
          if (status === 'open' || status === 'online') at[`new ${status}`] ??= performance.now()
        }),
    })
    const moved = once<Transferred>(helper, 'transferred')
    assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, hostPort(lab.nodes[1]))).attrs.type, 'result')
    const event = await moved
    toClose.push(event.client)
    assert.notEqual(event.client, c, 'a new client')
    assert.equal(event.previous, c)
    assert.equal(event.client.jid?.resource, resource)
    const ms = (key: string) => Math.round(at[key] - at['old closing'])
    console.log(
      `# (12) from the old stream's closing: new stream open +${ms('new open')} ms, old stream closed +${ms('old close')} ms, new session bound +${ms('new online')} ms`,
    )
    assert.ok(at['new open'] < at['old close'], 'the new login started before the old stream was closed')
    assert.ok(at['new online'] >= at['old close'], 'the new session bound after the old stream was closed')
    const sessions = await waitFor(
      async () => {
        const list = (await userSessions(lab, user)).filter((s) => s.resource === resource)
        return list.length === 1 && list[0].node === lab.nodes[1].name ? list : undefined
      },
      5000,
      `${user}/${resource} alone on node 2`,
    )
    assert.equal(sessions.length, 1)
    await helper.stop()
  })

  test('(7) moved within a second of its login: ejabberd may keep the old session; the helper tries again', async () => {
    const users = [395, 396, 397, 398].map(helperUser)
    const resource = `xt-tie-${RUN}`
    const outcomes = await Promise.all(
      users.map(async (user) => {
        let logins = 0
        const c = appClient(lab.nodes[0], user, resource)
        await c.start()
        await sessionSeen(user, resource)
        const helper = followTransfers(c, {
          allowedServers: labServers(),
          credentials: plain(user, lab.userPassword),
          trustedAdmins: [lab.adminJid],
          minSessionAge: 0,
          prepare: (fresh) => {
            logins += 1
            toClose.push(fresh)
          },
        })
        const moved = once<Transferred>(helper, 'transferred')
        const failed = once<TransferFailed>(helper, 'transfer-failed')
        assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, hostPort(lab.nodes[1]))).attrs.type, 'result')
        const event = await Promise.race([
          moved,
          failed.then((f) => {
            throw new Error(`${user}: transfer-failed after ${logins} login(s): ${f.error.message}`)
          }),
        ])
        const sessions = await waitFor(
          async () => {
            const list = (await userSessions(lab, user)).filter((s) => s.resource === resource)
            return list.length === 1 && list[0].node === lab.nodes[1].name ? list : undefined
          },
          5000,
          `${user} on node 2`,
        )
        await helper.stop()
        return {user, logins, ms: event.ms, node: sessions[0].node}
      }),
    )
    console.log(`# (7) ${outcomes.map((o) => `${o.user}: ${o.logins} login(s), ${o.ms.toFixed(0)} ms`).join('; ')}`)
    assert.ok(outcomes.every((o) => o.logins >= 1 && o.logins <= 2))
  })
})

describe("xmpp.js 0.14's open() race on the new login", {timeout: 30_000}, () => {
  // @xmpp/connection 0.14's open() listens for the server's stream header only once its own
  // header's write has called back. When the answer is parsed first (a loaded machine), start()
  // waits out its timeout and rejects although the login goes on and binds: the helper then
  // abandoned a session that had replaced the old one. Made here on purpose: the new client's
  // first write calls back 300 ms late.
  test("(17) the new client's first write calls back after the server's answer: still moved, and the new session kept", async () => {
    const user = helperUser(395)
    const resource = `xt-openrace-${RUN}`
    const c = createClient({
      service: lab.nodes[0].service,
      domain: lab.domain,
      resource,
      username: user,
      credentials: plain(user, lab.userPassword),
      timeout: 1500,
    })
    c.on('error', () => {})
    toClose.push(c)
    await c.start()
    await sessionSeen(user, resource)
    let delayed = 0
    const lateFirstWrite = (options: ClientOptions): XmppClient => {
      const fresh = createClient(options)
      const write = fresh.write.bind(fresh)
      let first = true
      fresh.write = async (text: string) => {
        await write(text)
        if (first) {
          first = false
          delayed++
          await sleep(300)
        }
      }
      return fresh
    }
    const helper = followTransfers(c, {
      allowedServers: labServers(),
      credentials: plain(user, lab.userPassword),
      trustedAdmins: [lab.adminJid],
      createClient: lateFirstWrite,
    })
    const moved = once<Transferred>(helper, 'transferred')
    const failed = once<unknown>(helper, 'transfer-failed')
    assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, hostPort(lab.nodes[1]))).attrs.type, 'result')
    const event = await Promise.race([
      moved,
      failed.then((failure) => Promise.reject(new Error(`the move failed: ${String((failure as {error?: unknown}).error)}`))),
    ])
    toClose.push(event.client)
    assert.equal(delayed, 1, 'the new client was made by createClient, and its first write was late')
    // Past the 1.5 s the missed header would have been waited for: the session is still there.
    await sleep(2500)
    assert.equal(event.client.status, 'online')
    assert.deepEqual(
      (await userSessions(lab, user)).filter((s) => s.resource === resource).map((s) => s.node),
      [lab.nodes[1].name],
    )
    await helper.stop()
  })
})

describe('errors on the clients the helper opens', {timeout: 30_000}, () => {
  // Issue 13, item 16: a client the helper opened without `prepare` had no 'error'
  // listener once online, so its next error (here the server's <conflict/> when the
  // session is kicked; in production also a reconnect that fails) was an uncaughtException.
  test('(16) a session moved without prepare, then kicked: no uncaught error in the app', async () => {
    const user = helperUser(374)
    const resource = `xt-noprep-${RUN}`
    const c = appClient(lab.nodes[0], user, resource)
    await c.start()
    await sessionSeen(user, resource)
    const helper = followTransfers(c, {allowedServers: labServers(), credentials: plain(user, lab.userPassword), trustedAdmins: [lab.adminJid]})
    const moved = once<Transferred>(helper, 'transferred')
    assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, hostPort(lab.nodes[1]))).attrs.type, 'result')
    const fresh = (await moved).client
    toClose.push(fresh)
    await helper.stop()
    const uncaught: string[] = []
    const onUncaught = (error: Error) => uncaught.push(error.message)
    process.on('uncaughtException', onUncaught)
    try {
      await labApi(lab, lab.nodes[0], 'kick_session', {user, host: lab.domain, resource, reason: 'test: kicked after a move'})
      await waitFor(() => fresh.status !== 'online', 5000, 'the kicked session to end')
      await sleep(200)
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    assert.deepEqual(uncaught, [])
  })
})

/**
 * What an attacker holding the admin credential would run: a listener that speaks just
 * enough XMPP to be offered a login (PLAIN, no TLS) and records what arrives.
 */
async function harvester() {
  const seen = {connections: 0, logins: [] as string[]}
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    seen.connections += 1
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('data', (data) => {
      const text = data.toString()
      if (text.includes('<stream:stream') || text.includes('<?xml')) {
        socket.write(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='h1' version='1.0'>" +
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
        )
      }
      if (text.includes('<auth')) seen.logins.push(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return {seen, server: `127.0.0.1:${port}`, close}
}

describe('where a transfer may send the session', {timeout: 30_000}, () => {
  // Issue 13, item 15: a trusted admin packet naming another domain and a host of its own
  // made the client log in there and hand over its password.
  for (const [n, domain] of [
    [385, 'evil.test'],
    [399, undefined],
  ] as const) {
    test(`(15) a trusted admin's packet naming ${domain ? 'another domain' : 'the own domain'} and a listener of its own: refused, nothing sent there`, async () => {
      const trap = await harvester()
      try {
        const user = helperUser(n)
        const resource = `xt-harvest-${n}-${RUN}`
        const c = appClient(lab.nodes[0], user, resource)
        await c.start()
        await sessionSeen(user, resource)
        await sleep(1100)
        const helper = followTransfers(c, {
          allowedServers: labServers(),
          credentials: plain(user, lab.userPassword),
          trustedAdmins: [lab.adminJid],
          prepare: (fresh) => {
            toClose.push(fresh)
          },
        })
        const answer = await sendTransfer(`${user}@${lab.domain}/${resource}`, trap.server, NS_SRVXFR, 5000, domain ?? lab.domain).then(
          (iq) => iq.attrs.type,
          (error: {condition?: string}) => error.condition,
        )
        await sleep(1500)
        console.log(
          `# (15) ${domain ?? lab.domain} at ${trap.server}: answered ${answer}; the listener saw ${trap.seen.connections} connection(s), ${trap.seen.logins.length} login(s)`,
        )
        const passwords = trap.seen.logins.filter((login) =>
          Buffer.from(login.replace(/<[^>]*>/g, ''), 'base64')
            .toString()
            .includes(lab.userPassword),
        )
        assert.equal(passwords.length, 0, 'the password reached the listener')
        assert.deepEqual(trap.seen.logins, [], 'no login reached the listener')
        assert.equal(trap.seen.connections, 0)
        assert.equal(answer, 'not-allowed')
        assert.equal(helper.client, c)
        assert.equal(c.status, 'online')
        await helper.stop()
      } finally {
        await trap.close()
      }
    })
  }
})

describe('the fleet against ejabberd', {timeout: 120_000}, () => {
  test('(4) refuse answers service-unavailable, ignore answers nothing; both count the packet', async () => {
    const users = [381, 382, 383, 384].map(helperUser)
    const resource = `xt-behave-${RUN}`
    const fleet = await startFleet({
      service: lab.nodes[0].service,
      domain: lab.domain,
      users,
      password: lab.userPassword,
      resource: () => resource,
      behaviour: (user) => (user === users[0] || user === users[1] ? 'refuse' : 'ignore'),
    })
    try {
      await waitFor(async () => (await allSessions(lab, lab.nodes[2])).filter((s) => s.resource === resource).length === 4, 5000, "the admin's node sees all 4")
      for (const [index, user] of users.entries()) {
        const to = `${user}@${lab.domain}/${resource}`
        const namespace = index % 2 === 0 ? NS_SRVXFR : NS_CXFR
        const outcome = await sendTransfer(to, hostPort(lab.nodes[1]), namespace, 1500).then(
          (answer) => `answered ${answer.attrs.type}`,
          (error: {condition?: string; name?: string}) => error.condition ?? error.name ?? String(error),
        )
        if (index < 2) assert.equal(outcome, 'service-unavailable', `${user} (refuse)`)
        else assert.equal(outcome, 'TimeoutError', `${user} (ignore)`)
      }
      const stats = fleet.stats()
      assert.deepEqual(
        stats.map((s) => [s.user, s.packetsReceived, s.transfers, s.online]),
        users.map((user) => [user, 1, 0, true]),
      )
      const sessions = (await allSessions(lab)).filter((s) => s.resource === resource)
      assert.equal(sessions.length, 4)
      assert.ok(sessions.every((s) => s.node === lab.nodes[0].name))
    } finally {
      await fleet.stop()
    }
  })

  test('(5) 30 followers log in, some are moved, stop() leaves no session', async () => {
    const users = Array.from({length: 30}, (_, i) => helperUser(341 + i))
    const resource = `xt-fleet-${RUN}`
    const started = Date.now()
    const fleet = await startFleet({
      service: lab.nodes[0].service,
      domain: lab.domain,
      users,
      password: lab.userPassword,
      resource: () => resource,
      trustedAdmins: [lab.adminJid],
      parallelism: 16,
    })
    const loginMs = Date.now() - started
    let stopMs = -1
    try {
      assert.equal(fleet.totals().online, 30)
      const mine = (via = lab.nodes[0]) => allSessions(lab, via).then((all) => all.filter((s) => s.resource === resource))
      assert.equal((await mine()).length, 30)
      await waitFor(async () => (await mine(lab.nodes[2])).length === 30, 5000, "the admin's node sees all 30")

      const moving = users.slice(0, 5)
      const answers = await Promise.all(moving.map((user) => sendTransfer(`${user}@${lab.domain}/${resource}`, hostPort(lab.nodes[1]))))
      assert.ok(answers.every((answer) => answer.attrs.type === 'result'))
      await waitFor(() => fleet.totals().transfers === 5, 10_000, '5 transfers')
      const onNode2 = await waitFor(
        async () => {
          const list = (await mine()).filter((s) => s.node === lab.nodes[1].name)
          return list.length === 5 ? list : undefined
        },
        5000,
        '5 sessions on node 2',
      )
      assert.equal(onNode2.length, 5)
      const totals = fleet.totals()
      assert.equal(totals.online, 30)
      assert.equal(totals.packetsReceived, 5)
      assert.equal(totals.byService[lab.nodes[1].service], 5)
      const moved = fleet.stats().filter((s) => moving.includes(s.user))
      assert.ok(moved.every((s) => s.currentService === lab.nodes[1].service && s.transfers === 1 && s.online))
      console.log(`# (5) 30 logins in ${loginMs} ms; moved 5; offline gaps: ${moved.map((s) => s.offlineMs.toFixed(1)).join(', ')} ms`)
      assert.equal(totals.usersWithGaps, 0, 'make-before-break leaves no gap')

      const stopping = Date.now()
      await fleet.stop()
      stopMs = Date.now() - stopping
      const left = await waitFor(async () => ((await mine()).length === 0 ? [] : undefined), 5000, 'no sessions left').catch(async () => mine())
      assert.deepEqual(left, [])
      console.log(`# (5) stop() took ${stopMs} ms`)
    } finally {
      if (stopMs < 0) await fleet.stop()
    }
  })
})

describe('the fleet in break-before-make', {timeout: 60_000}, () => {
  test('(11) each moved user is offline once, for about one login, and online again', async () => {
    const users = [371, 372, 373].map(helperUser)
    const resource = `xt-bbm-${RUN}`
    const fleet = await startFleet({
      service: lab.nodes[0].service,
      domain: lab.domain,
      users,
      password: lab.userPassword,
      resource: () => resource,
      trustedAdmins: [lab.adminJid],
      mode: 'break-before-make',
    })
    try {
      await waitFor(async () => (await allSessions(lab, lab.nodes[2])).filter((s) => s.resource === resource).length === 3, 5000, "the admin's node sees all 3")
      await sleep(1100) // past minSessionAge
      const answers = await Promise.all(users.map((user) => sendTransfer(`${user}@${lab.domain}/${resource}`, hostPort(lab.nodes[1]))))
      assert.ok(answers.every((answer) => answer.attrs.type === 'result'))
      await waitFor(() => fleet.totals().transfers === 3, 10_000, '3 transfers')
      const first = fleet.stats()
      await sleep(1000)
      const later = fleet.stats()
      console.log(`# (11) break-before-make gaps: ${first.map((s) => s.longestGapMs.toFixed(0)).join(', ')} ms`)
      for (const [i, s] of later.entries()) {
        assert.equal(s.online, true, s.user)
        assert.equal(s.currentService, lab.nodes[1].service, s.user)
        assert.equal(s.gaps, 1, `${s.user}: one gap`)
        assert.ok(s.longestGapMs > 0 && s.longestGapMs < 2000, `${s.user}: gap ${s.longestGapMs} ms`)
        assert.equal(s.offlineMs, first[i].offlineMs, `${s.user}: the gap closed at the new bind`)
      }
    } finally {
      await fleet.stop()
    }
  })
})

describe("the fleet as a receiver (the bench's message figures)", {timeout: 60_000}, () => {
  test('(9) with presence, a message stored while the user was offline arrives at login; live ones are counted too', async () => {
    const users = [386, 387].map(helperUser)
    const resource = `xt-msg-${RUN}`
    const stored = `stored-${RUN}`
    const live = `live-${RUN}`
    // users[0] has no session: ejabberd's mod_offline keeps a chat message to the bare JID.
    await admin.send(xml('message', {to: `${users[0]}@${lab.domain}`, type: 'chat', id: stored}, xml('body', {}, stored)))
    await sleep(300)
    const events: Array<Extract<FleetEvent, {type: 'message'}>> = []
    const fleet = await startFleet({
      service: lab.nodes[0].service,
      domain: lab.domain,
      users,
      password: lab.userPassword,
      resource: () => resource,
      presence: true,
      onEvent: (event) => event.type === 'message' && events.push(event),
    })
    try {
      const got = await waitFor(() => events.find((e) => e.id === stored), 5000, 'the stored message, handed over on presence')
      assert.equal(got.user, users[0])
      assert.equal(got.body, stored)
      assert.equal(got.delayed, true, 'offline storage stamps a delay')
      await admin.send(xml('message', {to: `${users[1]}@${lab.domain}/${resource}`, type: 'chat', id: live}, xml('body', {}, live)))
      const now = await waitFor(() => events.find((e) => e.id === live), 5000, 'the live message')
      assert.equal(now.user, users[1])
      assert.equal(now.delayed, false)
      // The stats count what the events showed (earlier runs' leftovers in storage included).
      const counted = new Map(fleet.stats().map((s) => [s.user, s.messagesReceived]))
      for (const user of users) assert.equal(counted.get(user), events.filter((e) => e.user === user).length, user)
    } finally {
      await fleet.stop()
    }
  })
})

describe('stream management under a stream of messages', {timeout: 90_000}, () => {
  // @xmpp/client 0.14 acknowledges, in its first <a/>, the stanzas it got before <enabled/>
  // when they arrive in one read with it; ejabberd then closes the stream
  // (undefined-condition). Measured here without the guard: 3–5 of these 25 logins closed.
  test('(10) logins into a flood of messages, with presence and the guard: the server closes none', async () => {
    const user = helperUser(388)
    const resource = `xt-sm-${RUN}`
    const to = `${user}@${lab.domain}/${resource}`
    let sending = true
    let sent = 0
    const flood = (async () => {
      while (sending) {
        for (let i = 0; i < 4; i++) admin.send(xml('message', {to, type: 'chat', id: `f-${RUN}-${++sent}`}, xml('body', {}, `flood ${sent}`))).catch(() => {})
        await sleep(10)
      }
    })()
    const closed: string[] = []
    let acked = 0
    try {
      for (let i = 0; i < 25; i++) {
        const c = createClient({service: lab.nodes[1].service, domain: lab.domain, resource, username: user, credentials: plain(user, lab.userPassword)})
        c.reconnect.stop()
        guardStreamManagementCount(c)
        let error: string | undefined
        c.on('error', (e: {condition?: string; message?: string}) => (error ??= e.condition ?? e.message))
        c.on('online', () => c.send(xml('presence')).catch(() => {}))
        c.on('send', (element: Element) => element.name === 'a' && acked++)
        await c.start()
        await sleep(350)
        if (error || c.status !== 'online') closed.push(`login ${i + 1}: ${error ?? c.status}`)
        await c.stop().catch(() => {})
      }
    } finally {
      sending = false
      await flood
    }
    console.log(`# (10) 25 logins under ${sent} messages; ${acked} acks sent; closed: ${closed.length ? closed.join(', ') : 'none'}`)
    assert.ok(acked > 0, 'the server asked for acks (stream management was on)')
    assert.deepEqual(closed, [])
  })
})

/**
 * The lab's STARTTLS-required listener (LAB_TLS_PORT), once a login there proved that this
 * process trusts its certificate (LAB_TLS_CERT, through NODE_EXTRA_CA_CERTS).
 */
async function trustedTls(): Promise<{service: string; server: string}> {
  const tls = lab.tls
  if (!tls) throw new Error(`${lab.dir}/lab.env names no STARTTLS listener (LAB_TLS_PORT, LAB_TLS_CERT)`)
  const user = helperUser(399)
  const probe = createClient({
    service: tls.service,
    domain: lab.domain,
    resource: `xt-tls-probe-${RUN}`,
    username: user,
    credentials: plain(user, lab.userPassword),
  })
  probe.reconnect.stop()
  probe.on('error', () => {})
  try {
    await probe.start()
  } catch (error) {
    throw new Error(`no login over STARTTLS at ${tls.service} (${(error as Error).message}): run the tests with NODE_EXTRA_CA_CERTS=${tls.cert}`, {
      cause: error,
    })
  }
  assert.equal(probe.isSecure(), true)
  await probe.stop()
  return {service: tls.service, server: `${lab.host}:${tls.port}`}
}

describe("over STARTTLS (the lab's STARTTLS-required listener)", {timeout: 90_000}, () => {
  // Issue 13, item 13: moving 10 helper users into a STARTTLS listener, 5 ended
  // "transfer-failed: client.socket?.destroy is not a function": the new session that
  // ejabberd's tie-break replaced could not be dropped, the retry was skipped and the old
  // client's auto-reconnect was left off.
  test('(13) 10 sessions moved into the STARTTLS listener within a second of their login: all moved, all encrypted', async () => {
    const tls = await trustedTls()
    const users = Array.from({length: 10}, (_, i) => helperUser(341 + i))
    const resource = `xt-tls-in-${RUN}`
    const outcomes = await Promise.all(
      users.map(async (user) => {
        let logins = 0
        const c = appClient(lab.nodes[1], user, resource)
        await c.start()
        await sessionSeen(user, resource)
        // minSessionAge 0: the move lands in ejabberd's one-second tie-break, as in (7).
        const helper = followTransfers(c, {
          allowedServers: labServers(),
          credentials: plain(user, lab.userPassword),
          trustedAdmins: [lab.adminJid],
          minSessionAge: 0,
          prepare: (fresh) => {
            logins += 1
            toClose.push(fresh)
          },
        })
        const moved = once<Transferred>(helper, 'transferred')
        const failed = once<TransferFailed>(helper, 'transfer-failed')
        assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, tls.server)).attrs.type, 'result')
        const event = await Promise.race([moved, failed])
        await helper.stop()
        return 'error' in event
          ? {user, logins, moved: false, why: event.error.message, reconnect: reconnectIsActive(c)}
          : {user, logins, moved: true, secure: event.client.isSecure(), ms: event.ms}
      }),
    )
    console.log(
      `# (13) into STARTTLS: ${outcomes.map((o) => `${o.user} ${o.moved ? `moved (${o.logins} login(s), ${o.ms?.toFixed(0)} ms)` : `FAILED: ${o.why}`}`).join('; ')}`,
    )
    assert.deepEqual(
      outcomes.filter((o) => !o.moved).map((o) => `${o.user}: ${o.why} (reconnect ${o.reconnect ? 'on' : 'OFF'})`),
      [],
    )
    assert.ok(
      outcomes.every((o) => o.secure === true),
      'every new session is encrypted',
    )
    for (const user of users) {
      await waitFor(
        async () => {
          const list = (await userSessions(lab, user)).filter((s) => s.resource === resource)
          return list.length === 1 && list[0].node === lab.nodes[0].name
        },
        5000,
        `${user}/${resource} alone on node 1`,
      )
    }
  })

  // The same drop, on a path the lab can force every time: a login refused after STARTTLS.
  test('(13) a refused login into the STARTTLS listener: the SASL error, the new connection dropped, the old session kept', async () => {
    const tls = await trustedTls()
    const user = helperUser(361)
    const resource = `xt-tls-refused-${RUN}`
    const c = appClient(lab.nodes[1], user, resource)
    await c.start()
    await sessionSeen(user, resource)
    const opened: XmppClient[] = []
    const helper = followTransfers(c, {
      allowedServers: labServers(),
      credentials: plain(user, 'not-the-password'),
      trustedAdmins: [lab.adminJid],
      prepare: (fresh) => {
        opened.push(fresh)
        toClose.push(fresh)
      },
    })
    const failed = once<TransferFailed>(helper, 'transfer-failed')
    assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, tls.server)).attrs.type, 'result')
    const event = await failed
    console.log(`# (13) refused login over STARTTLS: transfer-failed after ${event.ms.toFixed(0)} ms: ${event.error.message}`)
    assert.equal((event.error as {condition?: string}).condition, 'not-authorized', event.error.message)
    assert.equal(opened.length, 1)
    assert.equal(opened[0].status, 'offline', 'the new connection was dropped')
    assert.equal(event.client, c)
    assert.equal(c.status, 'online')
    assert.equal(reconnectIsActive(c), true, 'auto-reconnect is back on')
    await helper.stop()
  })

  // Issue 13, item 14: a move could silently downgrade TLS. An encrypted session must stay
  // encrypted, or the move fails with a clear reason and the old session stays.
  for (const [mode, n, withCredentials] of [
    ['make-before-break', 375, true],
    ['break-before-make', 376, false],
    ['break-before-make', 380, true],
  ] as const) {
    test(`(14) ${mode}${withCredentials ? '' : ' on the same client'} of a STARTTLS session to a plain listener: refused, the session stays encrypted where it was`, async () => {
      const tls = await trustedTls()
      const user = helperUser(n)
      const resource = `xt-tls-down-${n}-${RUN}`
      const c = createClient({service: tls.service, domain: lab.domain, resource, username: user, credentials: plain(user, lab.userPassword)})
      c.on('error', () => {})
      toClose.push(c)
      await c.start()
      assert.equal(c.isSecure(), true)
      await sessionSeen(user, resource)
      await sleep(1100) // past minSessionAge: the move is not delayed by the tie-break wait
      const helper = followTransfers(c, {
        // The plain listener is allowed: what refuses the move must be the TLS rule, not the allow-list.
        allowedServers: [...labServers(), plainHostPort(lab.nodes[1])],
        mode,
        trustedAdmins: [lab.adminJid],
        ...(withCredentials ? {credentials: plain(user, lab.userPassword)} : {}),
        prepare: (fresh) => {
          toClose.push(fresh)
        },
      })
      const moved = once<Transferred>(helper, 'transferred')
      const failed = once<TransferFailed>(helper, 'transfer-failed')
      assert.equal((await sendTransfer(`${user}@${lab.domain}/${resource}`, plainHostPort(lab.nodes[1]))).attrs.type, 'result')
      const event = await Promise.race([moved, failed])
      assert.ok('error' in event, `moved to ${event.to.service}: isSecure() ${event.client.isSecure()}`)
      console.log(`# (14) ${mode}: transfer-failed after ${event.ms.toFixed(0)} ms: ${event.error.message}`)
      assert.match(event.error.message, /TLS/)
      assert.equal(event.client, c)
      assert.equal(c.status, 'online')
      assert.equal(c.isSecure(), true)
      assert.equal(c.options.service, tls.service)
      assert.equal(reconnectIsActive(c), true)
      const sessions = (await userSessions(lab, user)).filter((s) => s.resource === resource)
      assert.deepEqual(
        sessions.map((s) => s.node),
        [lab.nodes[0].name],
        'one session, still on node 1',
      )
      await helper.stop()
    })
  }

  test('(14) the fleet over STARTTLS sent to a plain listener: every move refused, every session still encrypted', async () => {
    const tls = await trustedTls()
    const resource = `xt-tls-fleet-down-${RUN}`
    const users = Array.from({length: 3}, (_, i) => helperUser(377 + i))
    const fleet = await startFleet({
      service: tls.service,
      domain: lab.domain,
      users,
      password: lab.userPassword,
      resource: () => resource,
      trustedAdmins: [lab.adminJid],
    })
    try {
      await waitFor(async () => (await allSessions(lab, lab.nodes[2])).filter((s) => s.resource === resource).length === 3, 5000, "the admin's node sees all 3")
      await sleep(1100)
      const answers = await Promise.all(users.map((user) => sendTransfer(`${user}@${lab.domain}/${resource}`, plainHostPort(lab.nodes[1]))))
      assert.ok(answers.every((answer) => answer.attrs.type === 'result'))
      await waitFor(() => fleet.totals().transfers + fleet.totals().failedTransfers === 3, 10_000, '3 moves to end')
      const totals = fleet.totals()
      assert.equal(totals.transfers, 0, `moved to plain TCP: ${JSON.stringify(totals.byService)}`)
      assert.equal(totals.failedTransfers, 3)
      assert.equal(totals.online, 3)
      assert.ok(
        users.every((user) => fleet.clientOf(user)?.isSecure()),
        'every session still encrypted',
      )
      assert.ok(
        fleet.stats().every((s) => /TLS/.test(s.lastError ?? '')),
        JSON.stringify(fleet.stats().map((s) => s.lastError)),
      )
    } finally {
      await fleet.stop()
    }
  })

  test('(13) the fleet over STARTTLS: logins there, moves into it and within it, no gap', async () => {
    const tls = await trustedTls()
    const resource = `xt-tls-fleet-${RUN}`
    const plainUsers = Array.from({length: 6}, (_, i) => helperUser(351 + i))
    const tlsUsers = Array.from({length: 3}, (_, i) => helperUser(357 + i))
    const fromPlain = await startFleet({
      service: lab.nodes[1].service,
      domain: lab.domain,
      users: plainUsers,
      password: lab.userPassword,
      resource: () => resource,
      trustedAdmins: [lab.adminJid],
    })
    const overTls = await startFleet({
      service: tls.service,
      domain: lab.domain,
      users: tlsUsers,
      password: lab.userPassword,
      resource: () => resource,
      trustedAdmins: [lab.adminJid],
    })
    try {
      assert.ok(
        tlsUsers.every((user) => overTls.clientOf(user)?.isSecure()),
        'the fleet logs in over STARTTLS',
      )
      await waitFor(async () => (await allSessions(lab, lab.nodes[2])).filter((s) => s.resource === resource).length === 9, 5000, "the admin's node sees all 9")
      await sleep(1100) // past minSessionAge, so each move is one login
      const answers = await Promise.all([...plainUsers, ...tlsUsers].map((user) => sendTransfer(`${user}@${lab.domain}/${resource}`, tls.server)))
      assert.ok(answers.every((answer) => answer.attrs.type === 'result'))
      await waitFor(
        () => fromPlain.totals().transfers + fromPlain.totals().failedTransfers === 6 && overTls.totals().transfers + overTls.totals().failedTransfers === 3,
        10_000,
        '9 moves',
      )
      for (const fleet of [fromPlain, overTls]) {
        const totals = fleet.totals()
        assert.equal(
          totals.failedTransfers,
          0,
          JSON.stringify(
            fleet
              .stats()
              .filter((s) => s.failedTransfers)
              .map((s) => [s.user, s.lastError]),
          ),
        )
        assert.equal(totals.usersWithGaps, 0, 'make-before-break leaves no gap')
        assert.deepEqual(totals.byService, {[tls.service]: totals.users})
      }
      assert.ok(
        [...plainUsers, ...tlsUsers].every((user) => (fromPlain.clientOf(user) ?? overTls.clientOf(user))?.isSecure()),
        'every session is encrypted now',
      )
      const sessions = await waitFor(
        async () => {
          const list = (await allSessions(lab)).filter((s) => s.resource === resource)
          return list.length === 9 && list.every((s) => s.node === lab.nodes[0].name) ? list : undefined
        },
        5000,
        'all 9 on node 1',
      )
      assert.equal(sessions.length, 9)
    } finally {
      await Promise.all([fromPlain.stop(), overTls.stop()])
    }
  })
})
