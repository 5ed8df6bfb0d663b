// Issue 12 §4: a drain moves clients nobody here wrote, with the gentlest method each allows.
// Ten sessions of each of four libraries (test/clients/: slixmpp, aioxmpp, libstrophe, an
// unmodified @xmpp/client app), each with its own (or a typical app's) reconnect logic and
// stream management, all on node-1; node-1 taken out of the DNS SRV answers first, as an
// operator does; then `xtransfer drain node-1` with the defaults (packet, handover, redirect,
// close) while a user on node-3 sends each of them numbered messages.
//   test/clients/install.sh && node --import tsx --test test/integration/ladder-clients.test.ts
// Users 0501–0540 of the lab, 0541 sends the messages.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {after, before, test} from 'node:test'

import {client as createClient, xml, type XmppClient} from '@xmpp/client'

import {Harness, LIBRARIES, type LibraryName} from '../clients/harness.js'
import {runCli} from './cli.js'
import {allSessions, type LabEnv, labUser, requireLab} from './lab-env.js'
import {labConfigPath, nodeNameOf, uncordonAll, waitForEmptyCluster} from './transfer-fixtures.js'

const DNS_SH = fileURLToPath(new URL('../lab/dns.sh', import.meta.url))
const exec = promisify(execFile)
const PER_LIBRARY = 10
const FIRST_USER: Record<LibraryName, number> = {slixmpp: 501, aioxmpp: 511, libstrophe: 521, xmppjs: 531}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let lab: LabEnv
let sender: XmppClient
const harnesses = new Map<LibraryName, Harness>()
/** Each user's full JID on node-1, from its harness's `online` event. */
const jidOf = new Map<string, string>()

async function dns(...args: string[]): Promise<void> {
  await exec('bash', [DNS_SH, ...args], {env: {...process.env, XTRANSFER_LAB_DIR: lab.dir}})
}

before(async () => {
  lab = await requireLab()
  assert.ok(lab.companion, 'this test needs the server companion (LAB_COMPANION=on)')
  await waitForEmptyCluster(lab)
  // Every session starts on node-1: the SRV answers name only node-1 while they log in.
  await dns('remove', '2')
  await dns('remove', '3')
  for (const name of Object.keys(LIBRARIES) as LibraryName[]) {
    const users = Array.from({length: PER_LIBRARY}, (_, i) => labUser(FIRST_USER[name] + i))
    harnesses.set(
      name,
      new Harness(LIBRARIES[name], {domain: lab.domain, dnsPort: lab.dnsPort, ca: lab.caCert, users, password: lab.userPassword, reconnectDelayMs: 1000}),
    )
  }
  for (const [name, harness] of harnesses) {
    for (let i = 0; i < PER_LIBRARY; i++) {
      const user = labUser(FIRST_USER[name] + i)
      const online = await harness.nth('online', user, 0, 60_000)
      jidOf.set(user, online.jid)
    }
  }
  await dns('add', '2')
  await dns('add', '3')
  sender = createClient({
    service: lab.nodes[2].service,
    domain: lab.domain,
    resource: `ladder-sender-${process.pid}`,
    username: labUser(541),
    password: lab.userPassword,
    // A login over STARTTLS on a busy machine can take longer than @xmpp/client's 2 s default.
    timeout: 20_000,
  })
  sender.reconnect.stop()
  sender.on('error', () => {})
  await sender.start()
})

after(async () => {
  await sender?.stop().catch(() => {})
  await Promise.all([...harnesses.values()].map((harness) => harness.stop()))
  await dns('add', '1').catch(() => {})
  await uncordonAll(lab)
  await waitForEmptyCluster(lab, 60_000)
})

test('drain node-1 with the ladder: 40 sessions of four libraries land on node-2/3, each by the gentlest method it allows, numbered messages kept', async () => {
  const where = await allSessions(lab)
  for (const jid of jidOf.values()) assert.equal(nodeNameOf(lab, String(where.find((s) => s.jid === jid)?.node)), 'node-1', `${jid} starts on node-1`)
  // The operator's first step: node-1 leaves the SRV answers (clients that look it up again go elsewhere).
  await dns('remove', '1')

  // Numbered messages to every moving session, from a user on node-3, all through the drain.
  const sent = new Map<string, number>()
  let sending = true
  const pump = (async () => {
    for (let n = 1; sending; n++) {
      for (const [user, jid] of jidOf) {
        await sender.send(xml('message', {to: jid, type: 'chat', id: `${user}-${n}`}, xml('body', {}, `${user} #${n}`)))
        sent.set(user, n)
      }
      await sleep(250)
    }
  })()
  const started = Date.now()
  const run = await runCli(['drain', 'node-1', '--yes', '--json', '--config', labConfigPath(lab), '--ack-timeout', '3s', '--wait', '40s'], {timeoutMs: 180_000})
  const drainMs = Date.now() - started
  await sleep(1_000)
  sending = false
  await pump
  // Late arrivals (a resumed session gets its queue after the resumption).
  await sleep(3_000)

  const byLibrary: Record<string, string[]> = {}
  for (const row of (run.json?.sessions ?? []) as Array<{
    jid: string
    outcome: string
    method: string | null
    rungs: Array<{method: string; result: string; reason?: string}>
  }>) {
    ;(byLibrary[libraryOf(row.jid)] ??= []).push(
      `${row.outcome}/${row.method ?? '-'} [${row.rungs.map((rung) => `${rung.method}:${rung.result}${rung.reason ? `(${rung.reason})` : ''}`).join(' ')}]`,
    )
  }
  console.log(`# ladder outcomes: ${JSON.stringify(byLibrary)}`)
  // What a session that did not move saw, from its own side.
  const stuckRows = ((run.json?.sessions ?? []) as Array<{jid: string; outcome: string}>).filter((row) => row.outcome !== 'moved')
  for (const stuck of new Map(stuckRows.map((row) => [libraryOf(row.jid), row])).values()) {
    const harness = harnesses.get(libraryOf(stuck.jid) as LibraryName)!
    const user = stuck.jid.split('@')[0]
    console.log(
      `# ${stuck.jid} (${stuck.outcome}) saw: ${JSON.stringify(harness.events.filter((event) => (event as {user?: string}).user === user && event.event !== 'message'))}`,
    )
    // Did the whole process go quiet (blocked or dead), or only this session?
    const last = harness.events.at(-1) as {event: string; t?: number} | undefined
    const messages = harness.events.filter((event) => (event as {user?: string}).user === user && event.event === 'message') as Array<{t: number}>
    console.log(
      `# its process: ${harness.running ? 'running' : 'exited'}; its last event (any user): ${last?.event} at ${last?.t}; ${stuck.jid}: ${messages.length} messages, the last at ${messages.at(-1)?.t}`,
    )
    console.log(`# its library's stderr: ${harness.stderr.join('').slice(-1500)}`)
  }
  assert.equal(run.code, 0, `${run.stderr}\n${JSON.stringify(run.json?.summary)}`)
  const report = run.json
  assert.equal(report.summary.total, 40)
  assert.equal(report.summary.moved, 40, JSON.stringify(report.summary))
  // Where the server now lists each session is what the report says, and it is not node-1.
  const now = new Map((await allSessions(lab)).map((s) => [String(s.jid), nodeNameOf(lab, s.node)]))
  const methods: Record<string, Record<string, number>> = {}
  for (const row of report.sessions as Array<{jid: string; reconnectedTo: string; reconnectedJid: string; method: string; outcome: string}>) {
    assert.equal(row.outcome, 'moved', row.jid)
    assert.ok(row.reconnectedTo === 'node-2' || row.reconnectedTo === 'node-3', `${row.jid} landed on ${row.reconnectedTo}`)
    assert.equal(now.get(row.reconnectedJid), row.reconnectedTo, `${row.reconnectedJid}: the server lists it on ${now.get(row.reconnectedJid)}`)
    const library = libraryOf(row.jid)
    methods[library] ??= {}
    methods[library][row.method] = (methods[library][row.method] ?? 0) + 1
  }
  const leftOnNode1 = [...jidOf.keys()].filter((user) => [...now].some(([jid, node]) => jid.startsWith(`${user}@`) && node === 'node-1'))
  assert.deepEqual(leftOnNode1, [], 'node-1 still holds some of them')

  // Every numbered message arrived, duplicates counted apart.
  const lost: string[] = []
  const duplicated: Record<string, number> = {}
  for (const [name, harness] of harnesses) {
    for (let i = 0; i < PER_LIBRARY; i++) {
      const user = labUser(FIRST_USER[name] + i)
      const bodies = harness
        .of('message', user)
        .map((event) => event.body)
        .filter((body) => body.startsWith(`${user} #`))
      const unique = new Set(bodies)
      for (let n = 1; n <= (sent.get(user) ?? 0); n++) if (!unique.has(`${user} #${n}`)) lost.push(`${user} #${n}`)
      if (bodies.length > unique.size) duplicated[name] = (duplicated[name] ?? 0) + bodies.length - unique.size
    }
  }
  const total = [...sent.values()].reduce((sum, n) => sum + n, 0)
  console.log(
    `# ladder: drain took ${drainMs} ms; methods ${JSON.stringify(methods)}; ${total} messages sent, ${lost.length} lost, duplicated ${JSON.stringify(duplicated)}`,
  )
  // None lost. Until the companion's forward_late, ejabberd 23.01 could drop one: a node whose session
  // table still named the old process routed to it after it exited (docs/performance.md, finding 13;
  // seen once in 4 CI runs, 1 of 1,640, an aioxmpp user resumed by handover). 0 lost in the 8 CI
  // runs since, and the old process now forwards what reaches it (docs/servers.md).
  assert.deepEqual(lost, [], `${lost.length} of ${total} messages lost`)
  // The gentlest rung each library was measured to take (src/engine/ladder/client-profiles.ts): a handover
  // for those that resume after it, a redirect for libstrophe (it missed the close under load).
  const expected: Record<LibraryName, string> = {slixmpp: 'handover', aioxmpp: 'handover', xmppjs: 'handover', libstrophe: 'redirect'}
  for (const [name, method] of Object.entries(expected)) assert.equal(methods[name]?.[method], PER_LIBRARY, `${name}: ${JSON.stringify(methods[name])}`)
})

function libraryOf(jid: string): string {
  const n = Number(jid.slice(4, 8))
  return (Object.entries(FIRST_USER).find(([, first]) => n >= first && n < first + PER_LIBRARY) ?? ['?'])[0]
}
