// mod_xtransfer (src/companion/prosody) on the Prosody lab (test/lab/prosody-start.sh, companion
// on, the default), each command run through xtransfer's own AdHocCommands on an admin session,
// with real @xmpp/client user sessions.
//   node --import tsx --test test/integration/companion-prosody.test.ts
// A missing lab, or one started with PROSODY_LAB_COMPANION=off, is a failure, never a skip.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {after, before, describe, test} from 'node:test'

import {client as createClient, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {type AdminSession, connectAdmin} from '../../src/connection/admin-session.js'
import {CLOSE_CONDITIONS, CompanionRefused, type CompanionSession, COMPANION_NODES, ProsodyCompanion} from '../../src/adapters/xep0133/prosody-companion.js'
import {AdHocCommands, CommandRefused, type IqRequest} from '../../src/adapters/xep0133/ad-hoc-commands.js'

interface LabNode {
  name: string
  port: number
  adminPort: number
}

const LAB_DIR = process.env.XTRANSFER_PROSODY_DIR ?? '/tmp/xtransfer-prosody'
const NOT_RUNNING = 'prosody lab not running: run test/lab/prosody-start.sh'
const NS_PING = 'urn:xmpp:ping'
const NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function readLab() {
  let text: string
  try {
    text = readFileSync(join(LAB_DIR, 'lab.env'), 'utf8')
  } catch {
    throw new Error(`${NOT_RUNNING} (no ${LAB_DIR}/lab.env)`)
  }
  const env = Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  )
  const need = (key: string) => env[key] || assert.fail(`${NOT_RUNNING} (${LAB_DIR}/lab.env has no ${key})`)
  assert.equal(env.LAB_SERVER, 'prosody', `${LAB_DIR}/lab.env is not a Prosody lab's`)
  assert.equal(env.LAB_COMPANION, 'on', `the Prosody lab in ${LAB_DIR} was started without the companion (PROSODY_LAB_COMPANION=off)`)
  const nodes: LabNode[] = [1, 2].map((i) => ({
    name: need(`LAB_NODE_${i}`),
    port: Number(need(`LAB_C2S_${i}`)),
    adminPort: Number(need(`LAB_ADMIN_PORT_${i}`)),
  }))
  return {
    domain: need('LAB_DOMAIN'),
    adminJid: need('LAB_ADMIN_JID'),
    adminPassword: readFileSync(need('LAB_ADMIN_PASSWORD_FILE'), 'utf8').trim(),
    userPassword: need('LAB_USER_PASSWORD'),
    users: Number(need('LAB_USERS')),
    sm: env.LAB_SM === 'on',
    nodes,
  }
}

let lab: ReturnType<typeof readLab>
let p1: LabNode
let p2: LabNode
const admins: AdminSession[] = []
/** The companion on each instance, through the admin's session on its admin port. */
let on1: ProsodyCompanion
let on2: ProsodyCompanion
const clients = new Set<XmppClient>()

/** What TCP says to a connect: 'open' or the error code (ECONNREFUSED). */
function tcpConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    socket.setTimeout(2000, () => {
      socket.destroy()
      resolve('timeout')
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve('open')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
  })
}

function user(n: number): string {
  assert.ok(n <= lab.users, `the lab has ${lab.users} users; this test needs user${n}`)
  return `user${String(n).padStart(4, '0')}`
}

interface UserSession {
  client: XmppClient
  jid: string
  /** Stream errors received, as XML. */
  streamErrors: string[]
  /** `condition` of each error event. */
  errors: string[]
}

/** A user logged in with @xmpp/client (PLAIN, reconnect off); without stream management if asked. */
async function login(name: string, node: LabNode, {resource = 'companion', streamManagement = true} = {}): Promise<UserSession> {
  const c = createClient({
    service: `xmpp://127.0.0.1:${node.port}`,
    domain: lab.domain,
    resource,
    credentials: (auth) => auth({username: name, password: lab.userPassword}, 'PLAIN'),
  })
  c.reconnect.stop()
  const session: UserSession = {client: c, jid: `${name}@${lab.domain}/${resource}`, streamErrors: [], errors: []}
  c.on('error', (error: Error & {condition?: string}) => session.errors.push(error.condition ?? (error as NodeJS.ErrnoException).code ?? error.message))
  if (!streamManagement) {
    // A client without XEP-0198: the server's offer is taken out before the library sees it.
    c.prependListener('element', (element: Element) => {
      if (element.name === 'stream:features') element.children = element.children.filter((child) => typeof child === 'string' || child.name !== 'sm')
    })
  }
  c.prependListener('element', (element: Element) => {
    if (element.name === 'stream:error') session.streamErrors.push(element.toString())
  })
  clients.add(c)
  await c.start()
  return session
}

async function logout(session: UserSession): Promise<void> {
  clients.delete(session.client)
  await session.client.stop().catch(() => {})
}

/** The answering iq (result or error) to an iq from a plain client. */
function iqRequestOn(c: XmppClient): IqRequest {
  return (iq, timeoutMs = 5000) => {
    const id = `c${Math.random().toString(36).slice(2)}`
    iq.attrs.id = id
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        c.removeListener('stanza', onStanza)
        reject(new Error(`no answer to ${id}`))
      }, timeoutMs)
      const onStanza = (stanza: Element) => {
        if (stanza.is('iq') && stanza.attrs.id === id) {
          clearTimeout(timer)
          c.removeListener('stanza', onStanza)
          resolve(stanza)
        }
      }
      c.on('stanza', onStanza)
      c.send(iq).catch(reject)
    })
  }
}

async function ping(session: UserSession): Promise<string> {
  const answer = await iqRequestOn(session.client)(xml('iq', {type: 'get', to: lab.domain}, xml('ping', {xmlns: NS_PING})))
  return answer.attrs.type ?? ''
}

async function usersOn(companion: ProsodyCompanion): Promise<CompanionSession[]> {
  return (await companion.listSessions()).filter((session) => !session.jid.startsWith(`${lab.adminJid}/`))
}

async function waitUntil(probe: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`)
    await sleep(50)
  }
}

/** One more admin session on the node's admin port (a resource of its own: the same one would replace the other). */
async function adminOn(node: LabNode): Promise<AdminSession> {
  const session = await connectAdmin({
    jid: lab.adminJid,
    password: lab.adminPassword,
    service: `xmpp://127.0.0.1:${node.adminPort}`,
    insecurePlain: true,
    resource: `companion-test-${process.pid}-${admins.length}`,
  })
  admins.push(session)
  return session
}

const companionOf = (session: AdminSession) => new ProsodyCompanion(new AdHocCommands((iq, ms) => session.request(iq, ms), lab.domain, 10_000))

/** The unmodified @xmpp/client app as a child process, its JSON lines as events. */
function startApp(name: string, node: LabNode, resource: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('unmodified-client-app.ts', import.meta.url).pathname, `xmpp://127.0.0.1:${node.port}`, lab.domain, name, resource],
    {stdio: ['pipe', 'pipe', 'pipe']},
  )
  const events: Array<Record<string, unknown>> = []
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += String(chunk)))
  createInterface({input: child.stdout}).on('line', (line) => events.push(JSON.parse(line) as Record<string, unknown>))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.stdin.end(`${lab.userPassword}\n`)
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitFor: (predicate: (event: Record<string, unknown>) => boolean, ms: number, what: string) =>
      waitUntil(() => events.some(predicate) || !(child.exitCode === null), ms, what).then(() => {
        assert.ok(events.some(predicate), `${what}: the app exited (${child.exitCode}); events ${JSON.stringify(events)}; stderr ${stderr}`)
      }),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

before(async () => {
  lab = readLab()
  ;[p1, p2] = lab.nodes
  for (const node of lab.nodes) {
    if ((await tcpConnect(node.adminPort)) !== 'open')
      throw new Error(`${NOT_RUNNING} (${node.name}: nothing listens on its admin port 127.0.0.1:${node.adminPort})`)
  }
  on1 = companionOf(await adminOn(p1))
  on2 = companionOf(await adminOn(p2))
  // A cordon left behind by an interrupted run would spoil every test.
  await Promise.all([on1.uncordon(), on2.uncordon()])
  for (const node of lab.nodes) assert.equal(await tcpConnect(node.port), 'open', `${node.name}'s c2s port after uncordon`)
  await waitUntil(async () => (await usersOn(on1)).length + (await usersOn(on2)).length === 0, 15_000, 'user sessions left in the Prosody lab')
})

after(async () => {
  await Promise.all([on1?.uncordon(), on2?.uncordon()].map((done) => done?.catch(() => {})))
  await Promise.all([...clients].map((c) => c.stop().catch(() => {})))
  await Promise.all(admins.map((session) => session.close().catch(() => {})))
})

describe('status and list-sessions', () => {
  test('status: companion version 1, not cordoned, the c2s port listening', async () => {
    const status = await on1.status()
    assert.equal(status.version, 1)
    assert.match(status.server, /^(0\.12|13)\./)
    assert.deepEqual(status.cordon, {mode: 'none'})
    assert.deepEqual(status.listening, [`[127.0.0.1]:${p1.port}`])
    assert.deepEqual(status.closed, [])
  })

  test('list-sessions: each session of this instance only, with IP, age, stream management and the caps node', async () => {
    assert.ok(lab.sm, 'the lab runs without mod_smacks (PROSODY_LAB_SM=off): this test needs it')
    const withSm = await login(user(1), p1)
    const withoutSm = await login(user(2), p1, {streamManagement: false})
    const elsewhere = await login(user(3), p2)
    try {
      await withSm.client.send(
        xml(
          'presence',
          {},
          xml('c', {
            xmlns: 'http://jabber.org/protocol/caps',
            hash: 'sha-1',
            node: 'https://xtransfer.test/companion-test',
            ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w=',
          }),
        ),
      )
      await sleep(1100) // ages are whole seconds; the presence must have been processed
      const listed = await on1.listSessions()
      const mine = listed.find((session) => session.jid.startsWith(`${lab.adminJid}/companion-test-`))
      assert.ok(mine, `the admin's own session is listed too: ${JSON.stringify(listed)}`)
      const users = new Map(listed.filter((session) => session !== mine).map((session) => [session.jid, session]))
      assert.deepEqual([...users.keys()].sort(), [withSm.jid, withoutSm.jid].sort(), "p-1 lists its own sessions, not p-2's")
      const sm = users.get(withSm.jid)!
      assert.equal(sm.ip, '127.0.0.1')
      assert.ok(sm.ageSeconds !== undefined && sm.ageSeconds >= 1 && sm.ageSeconds < 60, String(sm.ageSeconds))
      assert.equal(sm.streamManagement, true)
      assert.equal(sm.resumable, true)
      assert.equal(sm.hibernating, false)
      assert.equal(sm.capsNode, 'https://xtransfer.test/companion-test')
      const plain = users.get(withoutSm.jid)!
      assert.equal(plain.streamManagement, false)
      assert.equal(plain.resumable, false)
      assert.equal(plain.capsNode, undefined, 'no presence, no caps')
      assert.deepEqual(
        (await usersOn(on2)).map((session) => session.jid),
        [elsewhere.jid],
      )
    } finally {
      await Promise.all([logout(withSm), logout(withoutSm), logout(elsewhere)])
    }
    assert.deepEqual(await usersOn(on1), [])
  })

  test('a dropped resumable session is listed as hibernating; closing it is not delivered, and ends it', async () => {
    const dropped = await login(user(4), p1)
    clients.delete(dropped.client)
    // The socket goes without a word: mod_smacks keeps the session for a resumption.
    ;(dropped.client as unknown as {socket: {destroy(): void}}).socket.destroy()
    await waitUntil(async () => (await usersOn(on1)).some((session) => session.jid === dropped.jid && session.hibernating), 5000, `${dropped.jid} hibernating`)
    const ended = await on1.closeSession(dropped.jid, 'system-shutdown')
    assert.deepEqual(ended, {jid: dropped.jid, condition: 'system-shutdown', delivered: false})
    assert.deepEqual(await usersOn(on1), [])
  })
})

describe('redirect-session and close-session', () => {
  test('redirect: the app gets <see-other-host> with exactly the host, follows it to p-2, and keeps running', async () => {
    const app = startApp(user(5), p1, 'app')
    try {
      await app.waitFor((event) => event.event === 'online', 20_000, 'the app online on p-1')
      const jid = `${user(5)}@${lab.domain}/app`
      assert.deepEqual(
        (await usersOn(on1)).map((session) => session.jid),
        [jid],
      )
      const host = `127.0.0.1:${p2.port}`
      const ended = await on1.redirectSession(jid, host)
      assert.deepEqual(ended, {jid, condition: 'see-other-host', host, delivered: true})
      await app.waitFor((event) => event.event === 'online' && event.port === p2.port, 20_000, 'the app online on p-2')
      const [streamError] = app.events.filter((event) => event.event === 'stream-error')
      assert.equal(streamError?.xml, `<stream:error><see-other-host xmlns="${NS_STREAMS}">${host}</see-other-host></stream:error>`)
      assert.deepEqual(
        app.events.filter((event) => event.event === 'error'),
        [],
        'no error event: it followed, nothing failed',
      )
      assert.deepEqual(
        (await usersOn(on2)).map((session) => session.jid),
        [jid],
      )
      assert.deepEqual(await usersOn(on1), [])
      await sleep(1500) // past @xmpp/client's 1 s reconnect delay: still there, still alive
      assert.ok(app.alive(), `the app died: ${app.stderr()}`)
      assert.deepEqual(
        (await usersOn(on2)).map((session) => session.jid),
        [jid],
      )
    } finally {
      assert.equal(await app.stop(), 0, `the app's exit: ${app.stderr()}`)
    }
    assert.doesNotMatch(app.stderr(), /TypeError|Uncaught|Invalid URL/)
  })

  test('close-session system-shutdown: the client gets that condition with the text, the session is gone', async () => {
    const session = await login(user(6), p1)
    const ended = await on1.closeSession(session.jid, 'system-shutdown', 'maintenance of p-1')
    assert.deepEqual(ended, {jid: session.jid, condition: 'system-shutdown', delivered: true})
    await waitUntil(() => session.streamErrors.length > 0, 5000, 'the stream error')
    assert.deepEqual(session.streamErrors, [
      `<stream:error><system-shutdown xmlns="${NS_STREAMS}"/><text xmlns="${NS_STREAMS}">maintenance of p-1</text></stream:error>`,
    ])
    assert.ok(session.errors.includes('system-shutdown'), JSON.stringify(session.errors))
    await waitUntil(() => session.client.status === 'disconnect' || session.client.status === 'offline', 5000, 'the client disconnected')
    assert.deepEqual(await usersOn(on1), [])
    await logout(session)
  })
})

describe('cordon and uncordon', () => {
  test('cordon refuse: TCP connects are refused, sessions there still answer pings; the admin port stays open, for admins only', async () => {
    const staying = await login(user(7), p1)
    try {
      const status = await on1.cordon({mode: 'refuse'})
      assert.deepEqual(status.cordon, {mode: 'refuse'})
      assert.deepEqual(status.closed, [`[127.0.0.1]:${p1.port}`])
      assert.deepEqual(status.listening, [])
      assert.equal(await tcpConnect(p1.port), 'ECONNREFUSED')
      assert.equal(await tcpConnect(p2.port), 'open', 'p-2 is not cordoned')
      assert.equal(await ping(staying), 'result')
      assert.deepEqual(
        (await usersOn(on1)).map((session) => session.jid),
        [staying.jid],
      )
      assert.deepEqual((await on1.cordon({mode: 'refuse'})).closed, [`[127.0.0.1]:${p1.port}`], 'a second cordon changes nothing')
      // A fresh admin login on the admin port sees the cordon (and could lift it).
      const fresh = companionOf(await adminOn(p1))
      assert.deepEqual((await fresh.status()).cordon, {mode: 'refuse'})
      const intruder = createClient({
        service: `xmpp://127.0.0.1:${p1.adminPort}`,
        domain: lab.domain,
        resource: 'x',
        credentials: (auth) => auth({username: user(8), password: lab.userPassword}, 'PLAIN'),
      })
      intruder.reconnect.stop()
      const intruderErrors: string[] = []
      intruder.on('error', (error: {condition?: string}) => intruderErrors.push(error.condition ?? ''))
      await assert.rejects(intruder.start(), (error: {condition?: string}) => error.condition === 'forbidden')
      await intruder.stop().catch(() => {})
      await sleep(500)
      assert.equal(await ping(staying), 'result', 'still answering after all that')
    } finally {
      const lifted = await on1.uncordon()
      assert.deepEqual(lifted.cordon, {mode: 'none'})
      assert.deepEqual(lifted.listening, [`[127.0.0.1]:${p1.port}`])
      await logout(staying)
    }
  })

  test('uncordon: the c2s port accepts again and a new login works; uncordoning twice is harmless', async () => {
    await on1.cordon({mode: 'refuse'})
    assert.equal(await tcpConnect(p1.port), 'ECONNREFUSED')
    const lifted = await on1.uncordon()
    assert.deepEqual(lifted.cordon, {mode: 'none'})
    assert.equal(await tcpConnect(p1.port), 'open')
    const again = await on1.uncordon()
    assert.deepEqual(again.listening, [`[127.0.0.1]:${p1.port}`])
    const session = await login(user(9), p1)
    assert.equal(await ping(session), 'result')
    await logout(session)
  })

  test('cordon redirect: a new login gets <see-other-host> before authentication and lands on p-2; sessions already there stay', async () => {
    const staying = await login(user(10), p1)
    const target = `127.0.0.1:${p2.port}`
    try {
      const status = await on1.cordon({mode: 'redirect', to: target})
      assert.deepEqual(status.cordon, {mode: 'redirect', to: target})
      assert.deepEqual(status.listening, [`[127.0.0.1]:${p1.port}`], 'redirect mode keeps the port open')
      const newcomer = await login(user(11), p1)
      assert.deepEqual(newcomer.streamErrors, [`<stream:error><see-other-host xmlns="${NS_STREAMS}">${target}</see-other-host></stream:error>`])
      assert.equal((newcomer.client as unknown as {socket: {remotePort: number}}).socket.remotePort, p2.port)
      assert.deepEqual(
        (await usersOn(on2)).map((session) => session.jid),
        [newcomer.jid],
      )
      assert.deepEqual(
        (await usersOn(on1)).map((session) => session.jid),
        [staying.jid],
      )
      assert.equal(await ping(staying), 'result')
      await logout(newcomer)
    } finally {
      await on1.uncordon()
      await logout(staying)
    }
  })
})

describe('errors: a refusal a program can read, never a crash', () => {
  test('redirect-session: unknown session, bare JID, another domain', async () => {
    const host = `127.0.0.1:${p2.port}`
    await assert.rejects(
      on1.redirectSession(`nobody@${lab.domain}/x`, host),
      (error: CompanionRefused) => error instanceof CompanionRefused && error.condition === 'item-not-found' && error.node === COMPANION_NODES.redirectSession,
    )
    await assert.rejects(
      on1.redirectSession(`${user(12)}@${lab.domain}`, host),
      (error: CompanionRefused) => error.condition === 'bad-request' && /full JID/.test(error.text),
    )
    await assert.rejects(on1.redirectSession('someone@elsewhere.test/x', host), (error: CompanionRefused) => error.condition === 'bad-request')
  })

  test('redirect-session: hosts are validated (brackets for IPv6, ports 1-65535, DNS labels, IPv4)', async () => {
    for (const bad of [
      '',
      'bad host',
      '::1',
      '::1:5222',
      '[::1',
      '[not-v6]:5222',
      '[::1]5222',
      'example.org:0',
      'example.org:65536',
      'example.org:x',
      'a..b',
      '-a.example',
      'a_b.example',
      '999.1.1.1',
      'xmpp://example.org',
    ]) {
      await assert.rejects(
        on1.redirectSession(`nobody@${lab.domain}/x`, bad),
        (error: CompanionRefused) => error instanceof CompanionRefused && error.condition === 'bad-request' && /host/.test(error.text),
        `accepted ${JSON.stringify(bad)}`,
      )
    }
    // Good hosts pass validation and reach the session lookup (which finds nobody).
    for (const good of ['example.org', 'xmpp-2.example.org:5222', '10.0.0.4:5222', '[::1]:5222', '[2001:db8::1]']) {
      await assert.rejects(
        on1.redirectSession(`nobody@${lab.domain}/x`, good),
        (error: CompanionRefused) => error.condition === 'item-not-found',
        `refused ${good}`,
      )
    }
  })

  test('close-session: conditions outside RFC 6120, and see-other-host (which needs a host), are refused', async () => {
    const session = await login(user(13), p1)
    try {
      for (const bad of ['nonsense', 'see-other-host', '', 'SYSTEM-SHUTDOWN']) {
        await assert.rejects(
          on1.closeSession(session.jid, bad as 'reset'),
          (error: CompanionRefused) => error.condition === 'bad-request',
          `accepted ${JSON.stringify(bad)}`,
        )
      }
      assert.equal(await ping(session), 'result', 'a refused close leaves the session alone')
      assert.equal(CLOSE_CONDITIONS.length, 24)
      await assert.rejects(on1.closeSession(`nobody@${lab.domain}/x`, 'reset'), (error: CompanionRefused) => error.condition === 'item-not-found')
    } finally {
      await logout(session)
    }
  })

  test('cordon: an unknown mode, redirect without or with a bad redirect-to', async () => {
    const commands = new AdHocCommands((iq, ms) => admins[0].request(iq, ms), lab.domain, 10_000)
    const answer = await commands.run(COMPANION_NODES.cordon, {mode: 'drain'})
    assert.equal(answer.status, 'completed')
    assert.deepEqual(
      answer.notes.map((note) => note.type),
      ['error'],
    )
    assert.equal(answer.form?.fields.get('error')?.values[0], 'bad-request')
    await assert.rejects(
      on1.cordon({mode: 'redirect', to: ''}),
      (error: CompanionRefused) => error.condition === 'bad-request' && /redirect-to/.test(error.text),
    )
    await assert.rejects(on1.cordon({mode: 'redirect', to: 'no port:x'}), (error: CompanionRefused) => error.condition === 'bad-request')
    assert.deepEqual((await on1.status()).cordon, {mode: 'none'}, 'nothing was cordoned')
    assert.equal(await tcpConnect(p1.port), 'open')
  })

  test('a non-admin may run none of the commands: forbidden', async () => {
    const session = await login(user(14), p1)
    try {
      const commands = new AdHocCommands(iqRequestOn(session.client), lab.domain, 10_000)
      for (const node of Object.values(COMPANION_NODES)) {
        await assert.rejects(
          commands.run(node, {mode: 'refuse', accountjid: session.jid, host: 'example.org', condition: 'reset'}),
          (error: CommandRefused) => error instanceof CommandRefused && error.forbidden,
          node,
        )
      }
      assert.deepEqual((await on1.status()).cordon, {mode: 'none'})
      assert.equal(await ping(session), 'result')
    } finally {
      await logout(session)
    }
  })

  test('a command node the instance does not have reads as unavailable (what an instance without the companion answers)', async () => {
    const commands = new AdHocCommands((iq, ms) => admins[0].request(iq, ms), lab.domain, 10_000)
    await assert.rejects(
      commands.run('urn:xtransfer:companion:1#no-such-command', {}),
      (error: CommandRefused) => error instanceof CommandRefused && error.unavailable,
    )
  })
})
