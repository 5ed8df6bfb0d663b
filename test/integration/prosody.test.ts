// xtransfer against two independent Prosody 0.12 instances (test/lab/prosody-start.sh),
// nodes p-1 and p-2 of a config with directory type xep0133.
//   node --import tsx --test test/integration/prosody.test.ts
// A missing or unreachable Prosody lab is a failure ("prosody lab not running"), never a skip.
// What each instance lists is read here with our own admin connections, not through xtransfer.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {after, before, test} from 'node:test'

import {client as createClient, type ClientOptions, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {AdHocCommands} from '../../src/adapters/xep0133/ad-hoc-commands.js'
import {ProsodyCompanion} from '../../src/adapters/xep0133/prosody-companion.js'
import {type FleetEvent, startFleet} from '../../src/fleet/index.js'
import {runCli} from './cli.js'

interface ProsodyNode {
  name: string
  port: number
  service: string
}

interface ProsodyLab {
  dir: string
  domain: string
  adminJid: string
  adminPassword: string
  userPassword: string
  config: string
  nodes: ProsodyNode[]
}

const LAB_DIR = process.env.XTRANSFER_PROSODY_DIR ?? '/tmp/xtransfer-prosody'
const NOT_RUNNING = 'prosody lab not running: run test/lab/prosody-start.sh'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let lab: ProsodyLab
/** Our own admin session on each instance, for what it lists (resource unique to this file). */
const watchers = new Map<string, XmppClient>()

function readProsodyLab(dir = LAB_DIR): ProsodyLab {
  let text: string
  try {
    text = readFileSync(join(dir, 'lab.env'), 'utf8')
  } catch {
    throw new Error(`${NOT_RUNNING} (no ${dir}/lab.env)`)
  }
  const env = Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  )
  const need = (key: string) => env[key] || assert.fail(`${NOT_RUNNING} (${dir}/lab.env has no ${key})`)
  assert.equal(env.LAB_SERVER, 'prosody', `${dir}/lab.env is not a Prosody lab's`)
  const nodes = Array.from({length: Number(need('LAB_NODE_COUNT'))}, (_, i) => {
    const port = Number(need(`LAB_C2S_${i + 1}`))
    return {name: need(`LAB_NODE_${i + 1}`), port, service: `xmpp://127.0.0.1:${port}`}
  })
  return {
    dir,
    domain: need('LAB_DOMAIN'),
    adminJid: need('LAB_ADMIN_JID'),
    adminPassword: readFileSync(need('LAB_ADMIN_PASSWORD_FILE'), 'utf8').trim(),
    userPassword: need('LAB_USER_PASSWORD'),
    config: need('LAB_CONFIG'),
    nodes,
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

function plain(username: string, password: string): NonNullable<ClientOptions['credentials']> {
  return (auth) => auth({username, password}, 'PLAIN')
}

function node(name: string): ProsodyNode {
  return lab.nodes.find((candidate) => candidate.name === name) ?? assert.fail(`no node ${name}`)
}

/** A raw iq on a client, answered by id. */
function ask(client: XmppClient, iq: Element, ms = 5000): Promise<Element> {
  const id = `t${Math.random().toString(36).slice(2)}`
  iq.attrs.id = id
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${id}`)), ms)
    const onStanza = (stanza: Element) => {
      if (stanza.is('iq') && stanza.attrs.id === id) {
        clearTimeout(timer)
        client.removeListener('stanza', onStanza)
        resolve(stanza)
      }
    }
    client.on('stanza', onStanza)
    client.send(iq).catch(reject)
  })
}

/** Full JIDs one instance lists (get-online-users-list with details, the admin's own left out). */
async function listedOn(name: string): Promise<string[]> {
  const answer = await ask(
    watchers.get(name)!,
    xml(
      'iq',
      {type: 'set', to: lab.domain},
      xml(
        'command',
        {xmlns: 'http://jabber.org/protocol/commands', node: 'http://jabber.org/protocol/admin#get-online-users-list', action: 'execute'},
        xml(
          'x',
          {xmlns: 'jabber:x:data', type: 'submit'},
          xml('field', {var: 'FORM_TYPE'}, xml('value', {}, 'http://jabber.org/protocol/admin')),
          xml('field', {var: 'max_items'}, xml('value', {}, 'all')),
          xml('field', {var: 'details'}, xml('value', {}, '1')),
        ),
      ),
    ),
  )
  assert.equal(answer.attrs.type, 'result', answer.toString())
  const lines =
    answer
      .getChild('command')
      ?.getChild('x')
      ?.getChildren('field')
      .find((field) => field.attrs.var === 'onlineuserjids')
      ?.getChildren('value')
      .map((value) => value.text()) ?? []
  const jids: string[] = []
  let bare = ''
  for (const line of lines) {
    const detail = /^ - (.+): \S*\(.*\), IP: \[.*\]$/.exec(line)
    if (detail) jids.push(`${bare}/${detail[1]}`)
    else bare = line.trim()
  }
  return jids.filter((jid) => !jid.startsWith(`${lab.adminJid}/`)).sort()
}

async function waitUntil(probe: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`)
    await sleep(100)
  }
}

/** No user session left on either instance (what a test leaves behind spoils the next). */
/**
 * The lab as the next test expects it: no instance cordoned (a drain with the companion leaves
 * its instance cordoned, by design; the watchers logged in before any cordon) and no session left.
 */
async function waitForEmptyLab(): Promise<void> {
  for (const [name, watcher] of watchers) {
    const companion = new ProsodyCompanion(new AdHocCommands((iq) => ask(watcher, iq), lab.domain))
    await companion.uncordon().catch((error: Error) => assert.fail(`uncordon ${name}: ${error.message}`))
  }
  await waitUntil(
    async () => (await Promise.all(lab.nodes.map((n) => listedOn(n.name)))).every((jids) => jids.length === 0),
    15_000,
    'sessions left in the Prosody lab',
  )
}

function users(from: number, count: number): string[] {
  return Array.from({length: count}, (_, i) => `user${String(from + i).padStart(4, '0')}`)
}

function fleetOn(name: string, names: string[], onEvent?: (event: FleetEvent) => void) {
  return startFleet({service: node(name).service, domain: lab.domain, users: names, password: lab.userPassword, trustedAdmins: [lab.adminJid], onEvent})
}

before(async () => {
  lab = readProsodyLab()
  for (const n of lab.nodes) {
    if (!(await portOpen(n.port))) throw new Error(`${NOT_RUNNING} (${n.name}: nothing listens on 127.0.0.1:${n.port})`)
  }
  for (const n of lab.nodes) {
    const watcher = createClient({
      service: n.service,
      domain: lab.domain,
      resource: `prosody-test-${process.pid}`,
      username: lab.adminJid.split('@')[0],
      credentials: plain(lab.adminJid.split('@')[0], lab.adminPassword),
    })
    watcher.reconnect.stop()
    watcher.on('error', () => {})
    await watcher.start()
    watchers.set(n.name, watcher)
  }
  await waitForEmptyLab()
})

after(async () => {
  await Promise.all([...watchers.values()].map((watcher) => watcher.stop().catch(() => {})))
})

test('nodes: both instances are seen; sessions: full JIDs with their node', async () => {
  const fleet = await fleetOn('p-1', users(1, 2))
  try {
    const nodes = await runCli(['nodes', '--json', '--config', lab.config])
    assert.equal(nodes.code, 0, nodes.stderr)
    const rows = nodes.json.nodes
    for (const name of ['p-1', 'p-2']) assert.equal(rows.find((row: {name: string}) => row.name === name)?.seen, true, JSON.stringify(rows))
    const sessions = await runCli(['sessions', '--node', 'p-1', '--json', '--config', lab.config])
    assert.equal(sessions.code, 0, sessions.stderr)
    const listed = (sessions.json.sessions as Array<{jid: string; node: string; resource: string; ip: string}>).filter(
      (row) => !row.jid.startsWith(lab.adminJid),
    )
    assert.deepEqual(
      listed.map((row) => [row.jid, row.node, row.resource, row.ip]),
      users(1, 2).map((user) => [`${user}@${lab.domain}/rehearsal`, 'p-1', 'rehearsal', '127.0.0.1']),
    )
  } finally {
    await fleet.stop()
    await waitForEmptyLab()
  }
})

test('move a bare JID to p-2: tracked through both listings; the helper closed the old stream itself', async () => {
  const [user] = users(11, 1)
  const jid = `${user}@${lab.domain}/rehearsal`
  const moves: FleetEvent[] = []
  const fleet = await fleetOn('p-1', [user], (event) => event.type === 'transferred' && moves.push(event))
  try {
    assert.deepEqual(await listedOn('p-1'), [jid])
    const run = await runCli(['move', `${user}@${lab.domain}`, '--to', 'p-2', '--yes', '--json', '--config', lab.config, '--wait', '20s'])
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(0, 2000))
    assert.equal(run.json.summary.moved, 1)
    const [row] = run.json.sessions
    assert.equal(row.jid, jid)
    assert.equal(row.from, 'p-1')
    assert.equal(row.ack, 'result')
    assert.equal(row.outcome, 'moved')
    assert.equal(row.reconnectedTo, 'p-2')
    assert.equal(row.reconnectedJid, jid)
    // Two independent servers: neither replaces the other's session, so the helper ends the old one.
    await waitUntil(async () => (await listedOn('p-1')).length === 0, 10_000, `${jid} still listed on p-1`)
    assert.deepEqual(await listedOn('p-2'), [jid])
    assert.equal(moves.length, 1)
    assert.equal((moves[0] as Extract<FleetEvent, {type: 'transferred'}>).oldStream, 'closed')
    assert.equal(fleet.stats()[0].online, true)
  } finally {
    await fleet.stop()
    await waitForEmptyLab()
  }
})

test('drain p-1: 20 users all moved to p-2, as both instances confirm', async () => {
  const names = users(101, 20)
  const fleet = await fleetOn('p-1', names)
  try {
    assert.equal((await listedOn('p-1')).length, 20)
    const run = await runCli(['drain', 'p-1', '--yes', '--json', '--config', lab.config, '--wait', '30s'])
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(0, 2000))
    const report = run.json
    assert.equal(report.source, 'p-1')
    assert.deepEqual(report.targets, ['p-2'])
    assert.equal(report.summary.total, 20)
    assert.equal(report.summary.moved, 20)
    await waitUntil(async () => (await listedOn('p-1')).length === 0, 10_000, 'sessions still on p-1 after the drain')
    const onP2 = new Set(await listedOn('p-2'))
    assert.equal(onP2.size, 20)
    for (const row of report.sessions) {
      assert.equal(row.outcome, 'moved', row.jid)
      assert.equal(row.ack, 'result')
      assert.equal(row.reconnectedTo, 'p-2')
      assert.ok(onP2.has(row.reconnectedJid), `${row.reconnectedJid} is not listed on p-2`)
      assert.ok(row.latencyMs > 0 && row.latencyMs < 30_000, String(row.latencyMs))
    }
    for (const stats of fleet.stats()) {
      assert.equal(stats.packetsReceived, 1, stats.user)
      assert.equal(stats.currentService, node('p-2').service)
    }
  } finally {
    await fleet.stop()
    await waitForEmptyLab()
  }
})

test("independent servers: a session on p-2 is sent its packet on the admin's session with p-2, and moves to p-1", async () => {
  const [user] = users(151, 1)
  const fleet = await fleetOn('p-2', [user])
  try {
    const run = await runCli(['move', `${user}@${lab.domain}`, '--to', 'p-1', '--yes', '--json', '--config', lab.config, '--wait', '20s'])
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(0, 2000))
    const [row] = run.json.sessions
    assert.equal(row.from, 'p-2')
    assert.equal(row.ack, 'result')
    assert.equal(row.outcome, 'moved')
    assert.equal(row.reconnectedTo, 'p-1')
    assert.equal(fleet.stats()[0].packetsReceived, 1)
    assert.deepEqual(await listedOn('p-1'), [`${user}@${lab.domain}/rehearsal`])
    // No conflict between independent servers: the helper closes the old stream itself after its conflictWait (2 s).
    const deadline = Date.now() + 6_000
    while ((await listedOn('p-2')).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
    assert.deepEqual(await listedOn('p-2'), [])
  } finally {
    await fleet.stop()
    await waitForEmptyLab()
  }
})

test("Prosody's default conflict_resolve (kick_old): a second login with the same full JID on one instance replaces the first with <conflict/>", async () => {
  const [user] = users(201, 1)
  const login = async () => {
    const c = createClient({service: node('p-1').service, domain: lab.domain, resource: 'same', username: user, credentials: plain(user, lab.userPassword)})
    c.reconnect.stop()
    const errors: string[] = []
    c.on('error', (error: {condition?: string}) => errors.push(error.condition ?? String(error)))
    await c.start()
    return {c, errors}
  }
  const first = await login()
  const second = await login()
  try {
    await waitUntil(async () => first.c.status === 'offline' || first.c.status === 'disconnect', 5000, 'the first session to end')
    // With mod_smacks (the lab's default), @xmpp/client writes its XEP-0198 <a/> as it closes,
    // after Prosody has already closed the socket behind the <conflict/>: a write EPIPE follows.
    assert.equal(first.errors[0], 'conflict', JSON.stringify(first.errors))
    for (const later of first.errors.slice(1)) assert.match(later, /EPIPE|ECONNRESET/)
    assert.equal(second.c.status, 'online')
    assert.deepEqual(await listedOn('p-1'), [`${user}@${lab.domain}/same`])
  } finally {
    await Promise.all([first.c.stop().catch(() => {}), second.c.stop().catch(() => {})])
    await waitForEmptyLab()
  }
})
