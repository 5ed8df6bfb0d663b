// Measures what each third-party library (test/clients/) does when a session is moved, one way
// after another: the XEP-0051 packet (the admin's own iq), each stream condition, see-other-host
// with and without a port, and a socket close without a stream error. A measurement, not a test:
// it prints a Markdown table (library x reaction) and, with --out, the raw rows as JSON.
//   NODE_EXTRA_CA_CERTS=$LAB_DIR/ca.crt node --import tsx test/clients/measure-matrix.ts [--out FILE]
//
// Each scenario: the lab's DNS gives node 1 only while 2 users per library log in (so every
// session starts on node 1), then node 1 leaves the SRV answers and nodes 2 and 3 come in (what
// an operator does before a drain), then the action hits every session at once, and the script
// watches the clients' events for WATCH_MS and asks the server where each session is listed.
// Stock ejabberd 23.01 has no command for see-other-host, for a chosen condition or for a bare
// close: those run from an Erlang node attached to the lab (lab-notes.md), with the lab cookie.
import {execFile} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {parseArgs} from 'node:util'

import {client as createClient, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

import {buildTransferIq, NS_CXFR, NS_SRVXFR, parseServer, type TransferNamespace} from '../../src/protocol/index.js'
import {allSessions, labApi, labUser, readLabEnv, type LabEnv} from '../integration/lab-env.js'
import {Harness, type HarnessEvent, LIBRARIES, type LibraryName} from './harness.js'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const WATCH_MS = 12_000
const USERS_PER_LIBRARY = 2
// libstrophe and slixmpp reconnect through the app: the typical app's logic with a short delay.
const RECONNECT_DELAY_MS = 2000
const FIRST_USER = 81 // users 0081..0088

type Action = {kind: 'iq'; namespace: TransferNamespace} | {kind: 'kick'} | {kind: 'stream-error'; erlang: string} | {kind: 'close'}

interface Scenario {
  name: string
  action: Action
}

function scenarios(lab: LabEnv): Scenario[] {
  const node2 = lab.nodes[1].c2sPort
  return [
    {name: 'XEP-0051 iq (jabber:iq:srvxfr)', action: {kind: 'iq', namespace: NS_SRVXFR}},
    {name: 'XEP-0051 iq (urn:xmpp:cxfr)', action: {kind: 'iq', namespace: NS_CXFR}},
    {name: '<conflict/> (kick_session)', action: {kind: 'kick'}},
    {name: '<system-shutdown/>', action: {kind: 'stream-error', erlang: 'xmpp:serr_system_shutdown()'}},
    {name: '<reset/>', action: {kind: 'stream-error', erlang: 'xmpp:serr_reset()'}},
    {name: '<policy-violation/>', action: {kind: 'stream-error', erlang: 'xmpp:serr_policy_violation()'}},
    {name: `<see-other-host>127.0.0.1:${node2}`, action: {kind: 'stream-error', erlang: `xmpp:serr_see_other_host(<<"127.0.0.1:${node2}">>)`}},
    // No port: RFC 6120 says the client then uses 5222 (nothing listens there in the lab) or SRV.
    {name: '<see-other-host>localhost (no port)', action: {kind: 'stream-error', erlang: 'xmpp:serr_see_other_host(<<"localhost">>)'}},
    {name: 'socket close, no stream error', action: {kind: 'close'}},
  ]
}

export interface Row {
  library: LibraryName
  scenario: string
  user: string
  /** iq scenarios: what the admin got back. */
  answer?: string
  clientSaw?: string | null
  next: 'resumed' | 'new session' | 'gave up' | 'reconnecting' | 'nothing' | 'answered only'
  afterMs: number | null
  landedOn: string | null
  stillOnNode1: boolean
}

async function dns(lab: LabEnv, ...args: string[]): Promise<void> {
  await run('bash', [join(import.meta.dirname, '..', 'lab', 'dns.sh'), ...args], {env: {...process.env, XTRANSFER_LAB_DIR: lab.dir}})
}

async function onlyNode1(lab: LabEnv): Promise<void> {
  await dns(lab, 'add', '1')
  await dns(lab, 'remove', '2')
  await dns(lab, 'remove', '3')
}

async function allButNode1(lab: LabEnv): Promise<void> {
  await dns(lab, 'add', '2')
  await dns(lab, 'add', '3')
  await dns(lab, 'remove', '1')
}

/** Runs one Erlang expression on a throw-away node attached to the lab (distribution on 127.0.0.1 only). */
async function erlang(lab: LabEnv, expression: string): Promise<string> {
  const cookie = readFileSync(join(lab.dir, 'cookie'), 'utf8').trim()
  const {stdout} = await run(
    'erl',
    [
      '-noshell',
      '-sname',
      `xtclimx${process.pid}@localhost`,
      '-setcookie',
      cookie,
      '-kernel',
      'inet_dist_use_interface',
      '{127,0,0,1}',
      '-eval',
      `${expression}, init:stop().`,
    ],
    {env: {...process.env, ERL_EPMD_ADDRESS: '127.0.0.1'}, timeout: 30_000},
  )
  return stdout.trim()
}

/**
 * Applies `what` (an Erlang fun of the session pid, run on node 1) to each full JID's session;
 * resolves with the time (ms) the first one was hit: the Erlang node takes ~1-2 s to start, and
 * reaction times count from the action, not from the script's call.
 */
async function onSessions(lab: LabEnv, jids: Array<{user: string; resource: string}>, what: string): Promise<number> {
  const list = jids.map(({user, resource}) => `{<<"${user}">>, <<"${resource}">>}`).join(', ')
  const out = await erlang(
    lab,
    `Node = '${lab.nodes[0].name}', Act = ${what},
    R = [begin Pid = rpc:call(Node, ejabberd_sm, get_session_pid, [U, <<"${lab.domain}">>, Res]),
               {U, erlang:system_time(millisecond), case is_pid(Pid) of true -> Act(Node, Pid); false -> no_session end} end
         || {U, Res} <- [${list}]],
    io:format("~p~n", [R])`,
  )
  if (out.includes('no_session') || out.includes('badrpc')) throw new Error(`not every session was hit: ${out}`)
  const times = [...out.matchAll(/,(\d{13}),/g)].map((m) => Number(m[1]))
  if (times.length === 0) throw new Error(`no times in ${out}`)
  return Math.min(...times)
}

function nodeLabel(lab: LabEnv, erlangNode: string | undefined): string | null {
  const node = lab.nodes.find((n) => n.name === erlangNode)
  return node ? `node-${node.index}` : null
}

async function measureScenario(lab: LabEnv, admin: XmppClient, scenario: Scenario, scenarioIndex: number): Promise<Row[]> {
  await onlyNode1(lab)
  const resource = `mx${scenarioIndex}-${process.pid}`
  const names = Object.keys(LIBRARIES) as LibraryName[]
  const harnesses = new Map<LibraryName, {harness: Harness; users: string[]}>()
  names.forEach((name, i) => {
    const users = Array.from({length: USERS_PER_LIBRARY}, (_, k) => labUser(FIRST_USER + i * USERS_PER_LIBRARY + k))
    harnesses.set(name, {
      users,
      harness: new Harness(LIBRARIES[name], {
        domain: lab.domain,
        dnsPort: lab.dnsPort,
        ca: lab.caCert,
        users,
        password: lab.userPassword,
        resource,
        reconnectDelayMs: name === 'xmppjs' ? 1000 : RECONNECT_DELAY_MS,
      }),
    })
  })
  const rows: Row[] = []
  try {
    for (const {harness, users} of harnesses.values()) {
      for (const user of users) await harness.nth('online', user, 0, 20_000)
    }
    await allButNode1(lab)
    const marks = new Map([...harnesses].map(([name, {harness}]) => [name, harness.events.length]))
    let t0 = Date.now()
    const everyone = [...harnesses.values()].flatMap(({users}) => users.map((user) => ({user, resource})))
    const answers = new Map<string, string>()
    const {action} = scenario
    if (action.kind === 'iq') {
      const target = parseServer(`127.0.0.1:${lab.nodes[1].c2sPort}`)
      if (!target.ok) throw new Error('bad target')
      await Promise.all(
        everyone.map(async ({user}, k) => {
          const iq = buildTransferIq(
            {to: `${user}@${lab.domain}/${resource}`, id: `mx-${scenarioIndex}-${k}`},
            {namespace: action.namespace, domain: lab.domain, server: target.value},
          )
          try {
            const result: Element = await admin.iqCaller.request(iq, 5000)
            answers.set(user, String(result.attrs.type))
          } catch (error) {
            const condition = (error as {condition?: string}).condition
            answers.set(user, condition ? `error: ${condition}` : `no answer in 5 s`)
          }
        }),
      )
    } else if (action.kind === 'kick') {
      for (const {user} of everyone) await labApi(lab, lab.nodes[0], 'kick_session', {user, host: lab.domain, resource, reason: 'measure-matrix'})
    } else if (action.kind === 'stream-error') {
      t0 = await onSessions(lab, everyone, `fun(N, Pid) -> rpc:call(N, xmpp_stream_in, send, [Pid, ${action.erlang}]) end`)
    } else {
      t0 = await onSessions(lab, everyone, 'fun(N, Pid) -> rpc:call(N, xmpp_stream_in, close, [Pid]) end')
    }
    await sleep(WATCH_MS - (Date.now() - t0))
    const sessions = await allSessions(lab)
    for (const [name, {harness, users}] of harnesses) {
      for (const user of users) {
        const events = harness.events.slice(marks.get(name)).filter((e) => (e as {user?: string}).user === user)
        const ended = events.find((e): e is Extract<HarnessEvent, {event: 'disconnected'}> => e.event === 'disconnected')
        const back = events.find((e) => e.event === 'resumed' || e.event === 'online')
        const gaveUp = events.find((e) => e.event === 'offline')
        const iq = events.find((e): e is Extract<HarnessEvent, {event: 'iq'}> => e.event === 'iq')
        const listed = sessions.filter((s) => s.jid === `${user}@${lab.domain}/${resource}`)
        const saw = ended
          ? [ended.condition ?? '(no stream error)', ended.seeOtherHost ? `→ ${ended.seeOtherHost}` : ''].join(' ').trim()
          : iq
            ? `iq ${iq.namespace ?? ''} answered ${iq.answer ?? 'nothing'}${iq.condition ? ` (${iq.condition})` : ''}`.replace('  ', ' ')
            : null
        rows.push({
          library: name,
          scenario: scenario.name,
          user,
          answer: answers.get(user),
          clientSaw: saw,
          next: back
            ? back.event === 'resumed'
              ? 'resumed'
              : 'new session'
            : gaveUp
              ? 'gave up'
              : ended
                ? 'reconnecting'
                : iq || answers.has(user)
                  ? 'answered only'
                  : 'nothing',
          afterMs: back ? back.t - t0 : null,
          landedOn:
            listed
              .map((s) => nodeLabel(lab, s.node))
              .filter(Boolean)
              .join('+') || null,
          stillOnNode1: listed.some((s) => s.node === lab.nodes[0].name),
        })
      }
    }
  } finally {
    await Promise.all([...harnesses.values()].map(({harness}) => harness.stop()))
    // Sessions a client left waiting for resumption stay listed for resume_timeout (60 s): end them.
    const users = [...harnesses.values()].flatMap((h) => h.users)
    for (const user of users) await labApi(lab, lab.nodes[0], 'kick_user', {user, host: lab.domain}).catch(() => {})
  }
  return rows
}

function summarise(rows: Row[], libraries: LibraryName[], names: string[]): string {
  const cell = (library: LibraryName, scenario: string) => {
    const mine = rows.filter((r) => r.library === library && r.scenario === scenario)
    const kinds = [
      ...new Set(
        mine.map((r) => {
          if (r.answer) return `${r.answer}`
          const after = r.afterMs === null ? '' : ` ${(r.afterMs / 1000).toFixed(1)} s`
          const where = r.landedOn ? ` on ${r.landedOn}` : r.next === 'nothing' && r.stillOnNode1 ? ' (still listed on node-1)' : ''
          return `${r.clientSaw ? `${r.clientSaw}: ` : ''}${r.next}${after}${where}`
        }),
      ),
    ]
    return kinds.join('; ') || '–'
  }
  const head = `| reaction | ${libraries.map((l) => LIBRARIES[l].label).join(' | ')} |`
  const line = `| --- |${libraries.map(() => ' --- |').join('')}`
  return [head, line, ...names.map((n) => `| ${n} | ${libraries.map((l) => cell(l, n)).join(' | ')} |`)].join('\n')
}

async function main(): Promise<void> {
  const {values} = parseArgs({options: {out: {type: 'string'}, only: {type: 'string'}}})
  const lab = readLabEnv()
  if (process.env.NODE_EXTRA_CA_CERTS !== lab.caCert) throw new Error(`run with NODE_EXTRA_CA_CERTS=${lab.caCert}`)
  const admin = createClient({
    service: lab.nodes[0].service,
    domain: lab.domain,
    resource: `measure-${process.pid}`,
    username: lab.adminJid.split('@')[0],
    password: lab.adminPassword,
  })
  admin.reconnect.stop()
  admin.on('error', () => {})
  await admin.start()
  const all = scenarios(lab).filter((s) => !values.only || s.name.includes(values.only))
  const rows: Row[] = []
  try {
    for (const [i, scenario] of all.entries()) {
      process.stderr.write(`[matrix] ${scenario.name}…\n`)
      rows.push(...(await measureScenario(lab, admin, scenario, i)))
    }
  } finally {
    await dns(lab, 'add', '1').catch(() => {})
    await dns(lab, 'add', '2').catch(() => {})
    await dns(lab, 'add', '3').catch(() => {})
    await admin.stop().catch(() => {})
  }
  if (values.out) writeFileSync(values.out, `${JSON.stringify({measured: new Date().toISOString(), rows}, null, 2)}\n`)
  console.log(
    summarise(
      rows,
      Object.keys(LIBRARIES) as LibraryName[],
      all.map((s) => s.name),
    ),
  )
}

await main()
