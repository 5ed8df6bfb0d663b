// mod_xtransfer (src/companion/ejabberd) on the running lab, with real @xmpp/client 0.14
// sessions: the commands as the TypeScript side will call them (POST /api/<name>, JSON).
import assert from 'node:assert/strict'
import {type EventEmitter} from 'node:events'
import {connect} from 'node:net'
import {after, before, test} from 'node:test'

import {client, type XmppClient} from '@xmpp/client'
import xml, {type Element} from '@xmpp/xml'

import {guardStreamManagementCount} from '../../src/client/index.js'
import {erlBinary, startErlangNode} from '../support/erlang-node.js'
import {type LabEnv, type LabNode, labApi, labUser, requireLab} from './lab-env.js'

const NS_STREAM = 'http://etherx.jabber.org/streams'
const NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams'
const NS_SM = 'urn:xmpp:sm:3'
const NS_CAPS = 'http://jabber.org/protocol/caps'
const NS_PING = 'urn:xmpp:ping'

// The result shapes documented in docs/servers.md.
interface NodeSession {
  jid: string
  ip: string
  port: number
  uptime: number
  sm: string
  resumable: string
  caps_node: string
  caps_ver: string
}
interface NodeSessions {
  result: string
  reason: string
  node: string
  text: string
  sessions: NodeSession[]
}
interface Located {
  result: string
  reason: string
  text: string
  sessions: Array<{bare: string; jid: string; node: string; uptime: number; sm: string}>
}
interface Action {
  result: string
  reason: string
  jid: string
  node: string
  sm: string
  text: string
}
interface Cordon {
  result: string
  reason: string
  node: string
  mode: string
  redirect: string
  text: string
}
interface NodeCordon {
  node: string
  cordoned: string
  mode: string
  redirect: string
  reason: string
}

let lab: LabEnv
const opened: Session[] = []

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, context?: Session): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context ? ` (client: ${context.history.join(', ')})` : ''}`)
    await sleep(50)
  }
}

function node(index: number): LabNode {
  return lab.nodes[index - 1]
}

const companion = <T>(via: number, command: string, args: Record<string, unknown> = {}) => labApi<T>(lab, node(via), command, args)
const locate = (via: number, users: string[]) => companion<Located>(via, 'xtransfer_locate', {users})
const nodeSessions = (via: number, of: number) => companion<NodeSessions>(via, 'xtransfer_node_sessions', {node: node(of).name})

interface Session {
  xmpp: XmppClient
  user: string
  bare: string
  jid: string
  streamErrors: Element[]
  messages: Element[]
  onlines: number
  /** Status changes and errors, for the message of a failed wait. */
  history: string[]
}

interface OpenOptions {
  resource?: string
  /** false: the client never sees the server's <sm/> feature, so it does not enable XEP-0198. */
  sm?: boolean
  caps?: {node: string; ver: string}
  /** @xmpp/client's own reconnect (1 s after a disconnect); off unless asked for. */
  reconnect?: boolean
  /**
   * Ping the server after the initial presence, so that the server has processed it (the caps
   * are read from it). Off for a session that will be resumed: @xmpp/client 0.14's iq caller
   * consumes the answers to its own iqs before the XEP-0198 counter sees them, so its `h` runs
   * one short per answered iq and the server resends (duplicates) that many stanzas on resumption.
   */
  sync?: boolean
}

/** An unmodified @xmpp/client 0.14 session (PLAIN on the lab's plain c2s), online with initial presence. */
async function open(user: string, on: number, {resource = 'comp', sm = true, caps, reconnect = false, sync = true}: OpenOptions = {}): Promise<Session> {
  const xmpp = client({
    service: node(on).service,
    domain: lab.domain,
    resource,
    credentials: (auth) => auth({username: user, password: lab.userPassword}, 'PLAIN'),
  })
  if (!reconnect) xmpp.reconnect.stop()
  if (sm) {
    guardStreamManagementCount(xmpp)
  } else {
    // Runs before the stream-features middleware: a client that does not know XEP-0198.
    xmpp.prependListener('element', (element: Element) => {
      if (element.is('features', NS_STREAM)) element.children = element.children.filter((child) => typeof child === 'string' || !child.is('sm', NS_SM))
    })
  }
  const session: Session = {
    xmpp,
    user,
    bare: `${user}@${lab.domain}`,
    jid: `${user}@${lab.domain}/${resource}`,
    streamErrors: [],
    messages: [],
    onlines: 0,
    history: [],
  }
  const started = Date.now()
  xmpp.on('status', (status: string) => session.history.push(`${Date.now() - started} ms ${status}`))
  xmpp.on('error', (error: Error) => session.history.push(`${Date.now() - started} ms error ${error.message}`))
  xmpp.on('element', (element: Element) => {
    if (element.is('error', NS_STREAM)) session.streamErrors.push(element)
  })
  xmpp.on('stanza', (stanza: Element) => {
    if (stanza.is('message') && stanza.getChildText('body') !== null) session.messages.push(stanza)
  })
  xmpp.on('online', () => {
    session.onlines++
  })
  opened.push(session)
  await xmpp.start()
  await xmpp.send(xml('presence', {}, caps ? xml('c', {xmlns: NS_CAPS, hash: 'sha-1', node: caps.node, ver: caps.ver}) : null))
  if (sync) await ping(session, lab.domain)
  return session
}

function ping(from: Session, to: string): Promise<Element> {
  return from.xmpp.iqCaller.request(xml('iq', {type: 'get', to}, xml('ping', {xmlns: NS_PING})), 5000)
}

/**
 * Stops the clients. One that is closing after a stream error first gets the server's
 * `</stream:stream>` (ejabberd sends it ~90 ms after the error): @xmpp/client 0.14 stopped
 * in between detaches its parser and then throws (uncaught) on that last chunk of data.
 */
async function stop(...sessions: Session[]) {
  await Promise.all(
    sessions.map(async ({xmpp}) => {
      if (xmpp.status === 'closing' || xmpp.status === 'close' || xmpp.status === 'disconnecting') {
        await Promise.race([new Promise((resolve) => xmpp.once('disconnect', resolve)), sleep(2000)])
      }
      await xmpp.stop().catch(() => {})
    }),
  )
}

function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: lab.host, port})
    socket.setTimeout(2000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function seeOtherHost(session: Session): string | null | undefined {
  return session.streamErrors.find((error) => error.getChild('see-other-host', NS_STREAMS))?.getChildText('see-other-host', NS_STREAMS)
}

const mine = <T extends {jid: string}>(sessions: T[], resource: string): T[] => sessions.filter((session) => session.jid.endsWith(`/${resource}`))

before(async () => {
  lab = await requireLab()
})

after(async () => {
  await stop(...opened)
  // Cordons must not outlive the test, whatever failed.
  for (const n of lab.nodes) await labApi(lab, n, 'xtransfer_uncordon', {node: n.name}).catch(() => {})
})

test('xtransfer_version: protocol 2, answered by each node as itself', async () => {
  for (const n of lab.nodes) {
    assert.deepEqual(await labApi(lab, n, 'xtransfer_version'), {version: 2, node: n.name})
  }
})

test("session_counts: each node's own count, equal to its listing, from any node", async () => {
  const a = await open(labUser(9), 1, {resource: 'counts'})
  const b = await open(labUser(10), 1, {resource: 'counts'})
  const c = await open(labUser(11), 3, {resource: 'counts'})
  try {
    const before = await companion<Array<{node: string; sessions: number; reason: string}>>(2, 'xtransfer_session_counts')
    assert.deepEqual(before.map((row) => row.node).sort(), lab.nodes.map((n) => n.name).sort())
    for (const row of before) {
      assert.equal(row.reason, '')
      const listing = await nodeSessions(2, lab.nodes.findIndex((n) => n.name === row.node) + 1)
      // Sessions of other tests may come and go between the two calls: the two agree within them.
      assert.ok(Math.abs(listing.sessions.length - row.sessions) <= 2, `${row.node}: counted ${row.sessions}, listed ${listing.sessions.length}`)
    }
    await stop(b)
    const on1 = (rows: Array<{node: string; sessions: number}>) => rows.find((row) => row.node === node(1).name)!.sessions
    await waitFor('the count to follow the session that ended', async () => {
      const after = await companion<Array<{node: string; sessions: number}>>(3, 'xtransfer_session_counts')
      return on1(after) === on1(before) - 1 ? true : undefined
    })
  } finally {
    await stop(a, c)
  }
})

test("node_sessions lists only that node's sessions, with sm, resumable, ip and caps, from any node", async () => {
  const caps = {node: 'https://example.org/xtransfer-test', ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w='}
  const withSm = await open(labUser(1), 1, {resource: 'listing', caps})
  const withoutSm = await open(labUser(2), 1, {resource: 'listing', sm: false})
  const elsewhere = await open(labUser(3), 2, {resource: 'listing'})
  try {
    const started = Date.now()
    const listing = await nodeSessions(3, 1) // asked on node 3 about node 1
    assert.equal(listing.result, 'ok', listing.text)
    assert.equal(listing.node, node(1).name)
    const ours = mine(listing.sessions, 'listing')
    assert.deepEqual(ours.map((s) => s.jid).sort(), [withSm.jid, withoutSm.jid])
    const sm = ours.find((s) => s.jid === withSm.jid)!
    assert.equal(sm.sm, 'active')
    assert.equal(sm.resumable, 'true')
    assert.equal(sm.caps_node, caps.node)
    assert.equal(sm.caps_ver, caps.ver)
    assert.equal(sm.ip, '127.0.0.1')
    assert.ok(sm.port > 0 && sm.port < 65536)
    assert.ok(sm.uptime >= 0 && sm.uptime <= (Date.now() - started) / 1000 + 30)
    const plain = ours.find((s) => s.jid === withoutSm.jid)!
    assert.equal(plain.sm, 'none')
    assert.equal(plain.resumable, 'false')
    assert.equal(plain.caps_node, '')
    assert.equal(plain.caps_ver, '')
    const node2 = await nodeSessions(1, 2)
    assert.deepEqual(
      mine(node2.sessions, 'listing').map((s) => s.jid),
      [elsewhere.jid],
    )
    assert.deepEqual(mine((await nodeSessions(2, 3)).sessions, 'listing'), [])
  } finally {
    await stop(withSm, withoutSm, elsewhere)
  }
})

test('locate: every session of a batch of users, wherever it is; users with none are absent', async () => {
  const a = await open(labUser(4), 1, {resource: 'locate'})
  const b = await open(labUser(5), 2, {resource: 'locate', sm: false})
  const b2 = await open(labUser(5), 3, {resource: 'locate-2'})
  try {
    const answer = await locate(2, [a.bare, b.bare, `${labUser(6)}@${lab.domain}`])
    assert.equal(answer.result, 'ok', answer.text)
    const got = answer.sessions.filter((s) => s.jid.includes('/locate')).map((s) => [s.bare, s.jid, s.node, s.sm])
    assert.deepEqual(
      got.sort(),
      [
        [a.bare, a.jid, node(1).name, 'active'],
        [b.bare, b.jid, node(2).name, 'none'],
        [b.bare, b2.jid, node(3).name, 'active'],
      ].sort(),
    )
    for (const s of answer.sessions) assert.ok(s.uptime >= 0)
  } finally {
    await stop(a, b, b2)
  }
})

test('handover: an SM client resumes on another node, locate shows it pending meanwhile, and every message arrives once', async () => {
  const receiver = await open(labUser(7), 1, {resource: 'handover', reconnect: true, sync: false})
  const sender = await open(labUser(8), 3, {resource: 'handover-sender'})
  let resumed = 0
  ;(receiver.xmpp.streamManagement as unknown as EventEmitter).on('resumed', () => resumed++)
  const total = 60
  let sent = 0
  const sending = (async () => {
    for (let n = 1; n <= total; n++) {
      await sender.xmpp.send(xml('message', {to: receiver.jid, type: 'chat', id: `m${n}`}, xml('body', {}, String(n))))
      sent = n
      await sleep(50)
    }
  })()
  try {
    await waitFor('the first messages', async () => (receiver.messages.length >= 10 ? true : undefined))
    // A load balancer would now send the client's next connection elsewhere.
    receiver.xmpp.options.service = node(2).service
    const result = await companion<Action>(2, 'xtransfer_handover', {jid: receiver.jid}) // asked on node 2
    assert.deepEqual({...result, text: ''}, {result: 'ok', reason: '', jid: receiver.jid, node: node(1).name, sm: 'active', text: ''})
    // The client reconnects after its 1 s delay: until then the server keeps the session, pending.
    const pending = await locate(3, [receiver.bare])
    assert.deepEqual(
      pending.sessions.map((s) => [s.jid, s.node, s.sm]),
      [[receiver.jid, node(1).name, 'pending']],
    )
    await waitFor('the resumption', async () => (resumed > 0 ? true : undefined))
    await sending
    // A loaded machine (CI with other labs) delays the resumed queue by seconds: wait, then say which are missing.
    await waitFor('every message', async () => (receiver.messages.length >= total ? true : undefined), 20_000).catch(() => {
      const got = new Set(receiver.messages.map((m) => Number(m.getChildText('body'))))
      throw new Error(`messages missing after the handover: ${Array.from({length: total}, (_, i) => i + 1).filter((n) => !got.has(n))}`)
    })
    await sleep(300) // duplicates, if any, would come now
    assert.equal(sent, total)
    assert.deepEqual(
      receiver.messages.map((m) => Number(m.getChildText('body'))),
      Array.from({length: total}, (_, i) => i + 1),
    )
    assert.equal(receiver.onlines, 1, 'resumed, not a new session')
    const resumedOn = await locate(1, [receiver.bare])
    assert.deepEqual(
      resumedOn.sessions.map((s) => [s.jid, s.node, s.sm]),
      [[receiver.jid, node(2).name, 'active']],
    )
    assert.deepEqual(
      mine((await nodeSessions(1, 2)).sessions, 'handover').map((s) => s.jid),
      [receiver.jid],
    )
  } finally {
    await sending.catch(() => {})
    receiver.xmpp.reconnect.stop()
    await stop(receiver, sender)
  }
})

/**
 * A stale route, made on purpose: 500 ms after `receiver`'s session moved (ejabberd's own
 * re-routing gives up after 100 ms), node 2 sends a message straight to the session's old
 * process, as node 2 would if its copy of the session table still named it (issue 14 §3b,
 * docs/performance.md finding 13). Returns what the Erlang side saw: whether the old process was
 * alive when the message was sent, and how long after that it ended (it must end: no leak).
 */
async function sendToOldProcessAfterMove(receiver: Session, sender: Session, move: () => Promise<void>): Promise<{alive: boolean; endedAfterMs: number}> {
  const [user, resource] = [receiver.user, receiver.jid.split('/')[1]]
  const stanza = `<message xmlns='jabber:client' type='chat' id='late-1' from='${sender.jid}' to='${receiver.jid}'><body>late</body></message>`
  if (!/^[A-Za-z0-9 ='.:@/<>_-]+$/.test(stanza)) throw new Error(`not a plain stanza: ${stanza}`)
  const erl = startErlangNode(
    lab.cookieFile,
    `Old = rpc:call('${node(1).name}', ejabberd_sm, get_session_pid, [${erlBinary(user)}, ${erlBinary(lab.domain)}, ${erlBinary(resource)}]),
io:format("old ~p~n", [is_pid(Old)]),
_ = io:get_line(""),
Xml = <<"${stanza}">>,
Pkt = rpc:call('${node(2).name}', erlang, apply, [fun() -> xmpp:decode(fxml_stream:parse_element(Xml)) end, []]),
Alive = rpc:call(node(Old), erlang, is_process_alive, [Old]),
rpc:call('${node(2).name}', erlang, send, [Old, {route, Pkt}]),
Sent = erlang:monotonic_time(millisecond),
Ended = fun Wait() ->
  case rpc:call(node(Old), erlang, is_process_alive, [Old]) of
    false -> erlang:monotonic_time(millisecond) - Sent;
    _ -> case erlang:monotonic_time(millisecond) - Sent > 20000 of true -> -1; false -> timer:sleep(50), Wait() end
  end
end,
io:format("sent ~p~n", [Alive]),
io:format("ended ~p~n", [Ended()])`,
  )
  try {
    assert.equal(await erl.nextLine(), 'old true')
    await move()
    await sleep(500)
    erl.send('go')
    const sent = await erl.nextLine()
    const ended = await erl.nextLine(30_000)
    assert.match(sent, /^sent (true|false)$/)
    assert.match(ended, /^ended -?\d+$/)
    return {alive: sent === 'sent true', endedAfterMs: Number(ended.split(' ')[1])}
  } finally {
    await erl.stop()
  }
}

test('a replaced session: its old process forwards a message that reaches it late to the new session, then ends', async () => {
  const old = await open(labUser(21), 1, {resource: 'late-replaced'})
  const sender = await open(labUser(22), 3, {resource: 'late-sender'})
  let replacement: Session | undefined
  try {
    const seen = await sendToOldProcessAfterMove(old, sender, async () => {
      // Make-before-break: the same resource binds on node 2, and ejabberd replaces the old session.
      // ejabberd 23.01's session ids are {{MegaSecs, Secs, a per-node counter}, Pid}: two logins of
      // one full JID on two nodes within the same second are ordered by the counters, and the new
      // one may be the one replaced (2 of 5 runs here). A real move comes long after the login.
      await sleep(1050 - (Date.now() % 1000))
      replacement = await open(labUser(21), 2, {resource: 'late-replaced'})
      await waitFor('the conflict on the old stream', async () => (old.streamErrors.some((e) => e.getChild('conflict', NS_STREAMS)) ? true : undefined))
      // The server ends the old stream as without the companion (~100 ms): forwarding keeps the process, not the connection.
      await waitFor('the old connection to end', async () => (old.history.some((line) => line.endsWith(' disconnect')) ? true : undefined), 2000, old)
    })
    // ejabberd alone (forward_late: 0): the old process exited after 100 ms and Erlang dropped the message.
    await waitFor('the late message on the new session', async () => (replacement!.messages.length > 0 ? true : undefined), 5000)
    assert.ok(seen.alive, 'the old process was still there 500 ms after the move')
    assert.deepEqual(
      replacement!.messages.map((m) => m.getChildText('body')),
      ['late'],
    )
    assert.deepEqual(old.messages, [])
    // forward_late is 5,000 ms by default: ended within it (+ the 500 ms before the send), not kept.
    assert.ok(seen.endedAfterMs >= 0 && seen.endedAfterMs <= 6000, `ended ${seen.endedAfterMs} ms after the send`)
  } finally {
    await stop(old, sender, ...(replacement ? [replacement] : []))
  }
})

/**
 * ejabberd writes its session table dirty: node 2's <replaced> to the old process on node 1 can
 * arrive before node 2's write of the new session does, and a stanza that the old process then
 * re-routes finds no session (offline storage, or an error to its sender). client-helper's test
 * (2) lost a message so, in 2 of 16 runs on 2026-12-02. Made here on purpose: the hidden node
 * sends <replaced>, then a message, to the old process while no new session exists yet; the new
 * session binds on node 2 only after the old stream has ended. `queued`: both wait in the process's mailbox (suspended
 * meanwhile), so the message is handled after the stream ended and cannot be sent; `mailbox`: the
 * message comes 150 ms later, while the process is ending.
 */
async function replacedBeforeSuccessorKnown(n: number, resource: string, order: 'queued' | 'mailbox'): Promise<void> {
  const user = labUser(n)
  const old = await open(user, 1, {resource})
  const sender = await open(labUser(n + 1), 3, {resource: 'late-sender'})
  const offline = async () => (await companion<{value: number}>(1, 'get_offline_count', {user, server: lab.domain})).value
  const storedBefore = await offline()
  const stanza = `<message xmlns='jabber:client' type='chat' id='early-1' from='${sender.jid}' to='${old.jid}'><body>early</body></message>`
  let replacement: Session | undefined
  // Past the old login's second: ejabberd 23.01 orders two logins of one full JID within one second by per-node counters.
  await sleep(1050 - (Date.now() % 1000))
  const erl = startErlangNode(
    lab.cookieFile,
    `Old = rpc:call('${node(1).name}', ejabberd_sm, get_session_pid, [${erlBinary(user)}, ${erlBinary(lab.domain)}, ${erlBinary(resource)}]),
Xml = <<"${stanza}">>,
Pkt = rpc:call('${node(2).name}', erlang, apply, [fun() -> xmpp:decode(fxml_stream:parse_element(Xml)) end, []]),
${order === 'queued' ? 'ok = rpc:call(node(Old), sys, suspend, [Old]),' : ''}
Old ! replaced,
${order === 'mailbox' ? 'timer:sleep(150),' : ''}
Old ! {route, Pkt},
${order === 'queued' ? 'timer:sleep(50), ok = rpc:call(node(Old), sys, resume, [Old]),' : ''}
io:format("sent ~p~n", [is_pid(Old)]),
_ = io:get_line("")`,
  )
  try {
    assert.equal(await erl.nextLine(), 'sent true')
    const sentAt = Date.now()
    await waitFor('the conflict on the old stream', async () => (old.streamErrors.some((e) => e.getChild('conflict', NS_STREAMS)) ? true : undefined))
    // The stream is ended before the wait: the old client is not held until the successor shows.
    await waitFor('the old connection to end', async () => (old.history.some((line) => line.endsWith(' disconnect')) ? true : undefined), 1000, old)
    const endedMs = Date.now() - sentAt
    replacement = await open(user, 2, {resource})
    const boundMs = Date.now() - sentAt
    await waitFor('the message on the new session', async () => (replacement!.messages.length > 0 ? true : undefined), 5000)
    await sleep(300) // a second copy, if any, would come now
    assert.deepEqual(
      replacement.messages.map((m) => [m.getChildText('body'), m.getChild('delay', 'urn:xmpp:delay') ? 'from offline storage' : 'live']),
      [['early', 'live']],
    )
    assert.deepEqual(old.messages, [])
    assert.deepEqual(
      sender.messages.map((m) => m.attrs.type),
      [],
      'nothing bounced to the sender',
    )
    assert.equal(await offline(), storedBefore, 'nothing left in offline storage')
    console.log(`# (${order}) after the hidden node's sends: the old stream ended at ${endedMs} ms, the new session bound at ${boundMs} ms`)
  } finally {
    erl.send('done')
    await erl.stop()
    await stop(old, sender, ...(replacement ? [replacement] : []))
  }
}

test("a replaced session that cannot send a message any more, its successor not yet in its node's table: the message waits for it", async () => {
  await replacedBeforeSuccessorKnown(25, 'early-unsent', 'queued')
})

test("a replaced session's mailbox, its successor not yet in its node's table: re-routed once the table knows it, not to offline storage", async () => {
  await replacedBeforeSuccessorKnown(27, 'early-mailbox', 'mailbox')
})

test('a handed-over session: its old process forwards a message that reaches it late to the resumed session, once', async () => {
  const receiver = await open(labUser(23), 1, {resource: 'late-handover', reconnect: true, sync: false})
  const sender = await open(labUser(24), 3, {resource: 'late-sender'})
  let resumed = 0
  ;(receiver.xmpp.streamManagement as unknown as EventEmitter).on('resumed', () => resumed++)
  try {
    const seen = await sendToOldProcessAfterMove(receiver, sender, async () => {
      receiver.xmpp.options.service = node(2).service
      const result = await companion<Action>(2, 'xtransfer_handover', {jid: receiver.jid})
      assert.equal(result.result, 'ok', result.text)
      await waitFor('the resumption', async () => (resumed > 0 ? true : undefined))
    })
    await waitFor('the late message on the resumed session', async () => (receiver.messages.length > 0 ? true : undefined), 5000)
    assert.ok(seen.alive, 'the old process was still there 500 ms after the resumption')
    await sleep(300) // a duplicate, if any, would come now
    assert.deepEqual(
      receiver.messages.map((m) => m.getChildText('body')),
      ['late'],
    )
    assert.equal(receiver.onlines, 1, 'resumed, not a new session')
    assert.ok(seen.endedAfterMs >= 0 && seen.endedAfterMs <= 6000, `ended ${seen.endedAfterMs} ms after the send`)
  } finally {
    receiver.xmpp.reconnect.stop()
    await stop(receiver, sender)
  }
})

test('handover of a session without stream management is refused with reason not-resumable; the session stays', async () => {
  const plain = await open(labUser(9), 1, {resource: 'no-sm', sm: false})
  const peer = await open(labUser(10), 2, {resource: 'no-sm-peer'})
  try {
    const result = await companion<Action>(3, 'xtransfer_handover', {jid: plain.jid})
    assert.equal(result.result, 'refused')
    assert.equal(result.reason, 'not-resumable')
    assert.equal(result.sm, 'none')
    assert.equal(result.node, node(1).name)
    assert.equal((await ping(peer, plain.jid)).attrs.type, 'result')
    assert.equal(plain.streamErrors.length, 0)
  } finally {
    await stop(plain, peer)
  }
})

test('redirect: the client receives <see-other-host> with exactly that host, and an unmodified client lands there', async () => {
  const moving = await open(labUser(11), 1, {resource: 'redirect'})
  try {
    const host = `127.0.0.1:${node(2).c2sPort}`
    const result = await companion<Action>(3, 'xtransfer_redirect', {jid: moving.jid, host})
    assert.equal(result.result, 'ok', result.text)
    assert.equal(result.node, node(1).name)
    await waitFor('the stream error', async () => (moving.streamErrors.length > 0 ? true : undefined))
    assert.equal(seeOtherHost(moving), host)
    // Online there as a new session (a stream error ends XEP-0198 resumption), stream management on again.
    await waitFor(
      'the client on node 2',
      async () => {
        const found = await locate(1, [moving.bare])
        return found.sessions.find((s) => s.jid === moving.jid && s.node === node(2).name && s.sm === 'active')
      },
      10_000,
      moving,
    )
    assert.equal(moving.onlines, 2)
  } finally {
    await stop(moving)
  }
})

test('redirect, 15 times in a row: every client follows it (no TCP reset races the <see-other-host>)', async () => {
  // Without the companion's linger, ejabberd closed the socket while the client answered the
  // stream error; the client then saw ECONNRESET and dropped the redirect (8 of 30 measured).
  const host = `127.0.0.1:${node(3).c2sPort}`
  const history: string[] = []
  for (let round = 1; round <= 15; round++) {
    const moving = await open(labUser(21 + (round % 5)), 1, {resource: `redirect-${round}`})
    try {
      // Sessions reach the other nodes' tables by Mnesia's asynchronous replication: one bound
      // a moment ago may not be there yet, so the caller acts on what it has listed.
      await waitFor('the session listed on node 2', async () =>
        (await locate(2, [moving.bare])).sessions.some((s) => s.jid === moving.jid) ? true : undefined,
      )
      const result = await companion<Action>(2, 'xtransfer_redirect', {jid: moving.jid, host})
      assert.equal(result.result, 'ok', `round ${round}: ${result.reason} ${result.text}`)
      await waitFor(`round ${round}: the client online again`, async () => (moving.onlines >= 2 ? true : undefined), 5000, moving)
      history.push(...moving.history.filter((line) => line.includes('ECONNRESET')))
    } finally {
      await stop(moving)
    }
  }
  assert.deepEqual(history, [])
})

test('close system-shutdown: the client sees that condition and its text; the session is gone', async () => {
  const closing = await open(labUser(12), 2, {resource: 'close'})
  const errors: Array<{condition: string; text: string}> = []
  closing.xmpp.on('error', (error: {condition?: string; text?: string}) => {
    if (error.condition) errors.push({condition: error.condition, text: error.text ?? ''})
  })
  try {
    const result = await companion<Action>(1, 'xtransfer_close', {jid: closing.jid, condition: 'system-shutdown', text: 'node maintenance'})
    assert.deepEqual([result.result, result.node, result.sm], ['ok', node(2).name, 'active'])
    await waitFor('the stream error', async () => (closing.streamErrors.length > 0 ? true : undefined))
    const [error] = closing.streamErrors
    assert.ok(error.getChild('system-shutdown', NS_STREAMS))
    assert.equal(error.getChildText('text', NS_STREAMS), 'node maintenance')
    assert.deepEqual(errors, [{condition: 'system-shutdown', text: 'node maintenance'}])
    await waitFor('the session to end', async () => ((await locate(3, [closing.bare])).sessions.length === 0 ? true : undefined))
  } finally {
    await stop(closing)
  }
})

test('close of a session pending resumption ends it (there is no connection to send the error on)', async () => {
  const dropped = await open(labUser(13), 3, {resource: 'pending-close'})
  try {
    assert.equal((await companion<Action>(1, 'xtransfer_handover', {jid: dropped.jid})).result, 'ok')
    await waitFor('pending', async () => ((await locate(1, [dropped.bare])).sessions[0]?.sm === 'pending' ? true : undefined))
    const refused = await companion<Action>(2, 'xtransfer_redirect', {jid: dropped.jid, host: 'example.org'})
    assert.deepEqual([refused.result, refused.reason, refused.sm], ['refused', 'pending', 'pending'])
    const again = await companion<Action>(2, 'xtransfer_handover', {jid: dropped.jid})
    assert.deepEqual([again.result, again.reason], ['refused', 'pending'])
    const closed = await companion<Action>(2, 'xtransfer_close', {jid: dropped.jid, condition: 'reset', text: ''})
    assert.deepEqual([closed.result, closed.sm], ['ok', 'pending'])
    await waitFor('the session to end', async () => ((await locate(1, [dropped.bare])).sessions.length === 0 ? true : undefined))
  } finally {
    await stop(dropped)
  }
})

test('cordon: connections to the node are refused while its sessions still answer pings; uncordon accepts again', async () => {
  const staying = await open(labUser(14), 3, {resource: 'cordon'})
  const peer = await open(labUser(15), 1, {resource: 'cordon-peer'})
  try {
    assert.equal(await tcpConnects(node(3).c2sPort), true)
    const cordoned = await companion<Cordon>(1, 'xtransfer_cordon', {node: node(3).name, redirect: ''})
    assert.deepEqual([cordoned.result, cordoned.node, cordoned.mode, cordoned.redirect], ['ok', node(3).name, 'refuse', ''], cordoned.text)
    assert.match(cordoned.text, new RegExp(`127\\.0\\.0\\.1:${node(3).c2sPort}`))
    assert.equal(await tcpConnects(node(3).c2sPort), false)
    assert.equal(await tcpConnects(node(2).c2sPort), true)
    assert.equal((await ping(peer, staying.jid)).attrs.type, 'result')
    assert.equal((await ping(staying, lab.domain)).attrs.type, 'result')
    const again = await companion<Cordon>(2, 'xtransfer_cordon', {node: node(3).name, redirect: ''})
    assert.deepEqual([again.result, again.mode], ['ok', 'refuse'])
    const states = await companion<NodeCordon[]>(2, 'xtransfer_cordons')
    assert.deepEqual(
      states.map((s) => [s.node, s.cordoned, s.mode, s.redirect, s.reason]),
      [
        [node(1).name, 'false', 'none', '', ''],
        [node(2).name, 'false', 'none', '', ''],
        [node(3).name, 'true', 'refuse', '', ''],
      ],
    )
    const uncordoned = await companion<Cordon>(2, 'xtransfer_uncordon', {node: node(3).name})
    assert.deepEqual([uncordoned.result, uncordoned.mode], ['ok', 'none'], uncordoned.text)
    assert.equal(await tcpConnects(node(3).c2sPort), true)
    const newcomer = await open(labUser(16), 3, {resource: 'cordon-new'})
    assert.deepEqual(
      (await locate(1, [newcomer.bare])).sessions.map((s) => s.node),
      [node(3).name],
    )
    await stop(newcomer)
    // Twice: uncordon restores the listener into ejabberd's own table, so a second cordon finds it.
    const second = await companion<Cordon>(3, 'xtransfer_cordon', {node: node(3).name, redirect: ''})
    assert.equal(second.result, 'ok', second.text)
    assert.equal(await tcpConnects(node(3).c2sPort), false)
    assert.equal((await companion<Cordon>(3, 'xtransfer_uncordon', {node: node(3).name})).result, 'ok')
    assert.equal(await tcpConnects(node(3).c2sPort), true)
    const idle = await companion<Cordon>(1, 'xtransfer_uncordon', {node: node(3).name})
    assert.deepEqual([idle.result, idle.mode, idle.text], ['ok', 'none', 'was not cordoned'])
  } finally {
    await companion(1, 'xtransfer_uncordon', {node: node(3).name}).catch(() => {})
    await stop(staying, peer)
  }
})

test('cordon with a redirect: a new login is answered with <see-other-host> and lands there; existing sessions stay', async () => {
  const staying = await open(labUser(17), 3, {resource: 'cordon-redirect'})
  const host = `127.0.0.1:${node(1).c2sPort}`
  try {
    const cordoned = await companion<Cordon>(2, 'xtransfer_cordon', {node: node(3).name, redirect: host})
    assert.deepEqual([cordoned.result, cordoned.mode, cordoned.redirect], ['ok', 'redirect', host], cordoned.text)
    assert.equal(await tcpConnects(node(3).c2sPort), true)
    const states = await companion<NodeCordon[]>(1, 'xtransfer_cordons')
    assert.deepEqual(
      states.find((s) => s.node === node(3).name),
      {node: node(3).name, cordoned: 'true', mode: 'redirect', redirect: host, reason: ''},
    )
    const newcomer = await open(labUser(18), 3, {resource: 'cordon-redirect-new'})
    assert.equal(seeOtherHost(newcomer), host)
    assert.deepEqual(
      (await locate(2, [newcomer.bare])).sessions.map((s) => s.node),
      [node(1).name],
    )
    assert.equal((await ping(newcomer, staying.jid)).attrs.type, 'result')
    await stop(newcomer)
    // From redirect to refuse and back to normal.
    const refusing = await companion<Cordon>(2, 'xtransfer_cordon', {node: node(3).name, redirect: ''})
    assert.deepEqual([refusing.result, refusing.mode], ['ok', 'refuse'])
    assert.equal(await tcpConnects(node(3).c2sPort), false)
    assert.equal((await companion<Cordon>(2, 'xtransfer_uncordon', {node: node(3).name})).mode, 'none')
    const plain = await open(labUser(19), 3, {resource: 'cordon-redirect-after'})
    assert.equal(plain.streamErrors.length, 0)
    assert.deepEqual(
      (await locate(2, [plain.bare])).sessions.map((s) => s.node),
      [node(3).name],
    )
    await stop(plain)
  } finally {
    await companion(1, 'xtransfer_uncordon', {node: node(3).name}).catch(() => {})
    await stop(staying)
  }
})

test('bad input and unknown sessions: a clear result with a reason, never a crash', async () => {
  const jid = `${labUser(20)}@${lab.domain}/nobody`
  const expectAction = async (command: string, args: Record<string, unknown>, result: string, reason: string) => {
    const answer = await companion<Action>(1, command, args)
    assert.deepEqual([answer.result, answer.reason], [result, reason], `${command} ${JSON.stringify(args)}: ${answer.text}`)
    assert.ok(answer.text.length > 0)
  }
  await expectAction('xtransfer_handover', {jid}, 'refused', 'no-session')
  await expectAction('xtransfer_redirect', {jid, host: 'example.org:5222'}, 'refused', 'no-session')
  await expectAction('xtransfer_close', {jid, condition: 'reset', text: ''}, 'refused', 'no-session')
  await expectAction('xtransfer_handover', {jid: `${labUser(20)}@${lab.domain}`}, 'invalid', 'bad-jid')
  await expectAction('xtransfer_handover', {jid: 'not a jid@@'}, 'invalid', 'bad-jid')
  await expectAction('xtransfer_handover', {jid: `${labUser(20)}@elsewhere.test/r`}, 'invalid', 'bad-jid')
  for (const host of [
    '',
    '::1',
    'host:0',
    'host:65536',
    'two words',
    'bad_underscore.example',
    '[::1',
    '[nonsense]:5222',
    'h:5222:1',
    '-leading.example',
    'a..b',
  ]) {
    await expectAction('xtransfer_redirect', {jid, host}, 'invalid', 'bad-host')
  }
  for (const condition of ['', 'kaboom', 'System-Shutdown', 'see-other-host']) {
    await expectAction('xtransfer_close', {jid, condition, text: ''}, 'invalid', 'bad-condition')
  }
  for (const host of ['xmpp.example.org', 'xmpp.example.org:5222', '192.0.2.7:5223', '[2001:db8::1]:5222', '[::1]']) {
    await expectAction('xtransfer_redirect', {jid, host}, 'refused', 'no-session') // valid host: only the session is missing
  }
  const cordon = await companion<Cordon>(1, 'xtransfer_cordon', {node: 'nope@localhost', redirect: ''})
  assert.deepEqual([cordon.result, cordon.reason], ['invalid', 'unknown-node'])
  const badRedirect = await companion<Cordon>(1, 'xtransfer_cordon', {node: node(2).name, redirect: 'not a host'})
  assert.deepEqual([badRedirect.result, badRedirect.reason, badRedirect.mode], ['invalid', 'bad-host', ''])
  assert.equal((await companion<NodeCordon[]>(1, 'xtransfer_cordons')).find((s) => s.node === node(2).name)?.cordoned, 'false')
  const uncordon = await companion<Cordon>(1, 'xtransfer_uncordon', {node: 'nope@localhost'})
  assert.deepEqual([uncordon.result, uncordon.reason], ['invalid', 'unknown-node'])
  const listing = await companion<NodeSessions>(1, 'xtransfer_node_sessions', {node: 'nope@localhost'})
  assert.deepEqual([listing.result, listing.reason, listing.sessions], ['invalid', 'unknown-node', []])
  for (const users of [[`${labUser(20)}@${lab.domain}/r`], ['@@'], [`${labUser(20)}@elsewhere.test`]]) {
    const located = await locate(1, users)
    assert.deepEqual([located.result, located.reason, located.sessions], ['invalid', 'bad-jid', []], located.text)
  }
  // mod_http_api itself: a missing argument is HTTP 400.
  await assert.rejects(companion(1, 'xtransfer_close', {jid, condition: 'reset'}), /HTTP 400/)
})

test('timing (printed, not asserted): node_sessions with ~60 sessions on the node, locate of 50 users', async () => {
  const count = Math.min(60, lab.userCount)
  const sessions: Session[] = []
  try {
    for (let from = 1; from <= count; from += 15) {
      sessions.push(...(await Promise.all(Array.from({length: Math.min(15, count - from + 1)}, (_, i) => open(labUser(from + i), 1, {resource: 'timing'})))))
    }
    const times = async (label: string, call: () => Promise<unknown>) => {
      const ms: number[] = []
      for (let i = 0; i < 5; i++) {
        const started = performance.now()
        await call()
        ms.push(performance.now() - started)
      }
      console.log(`# ${label}: ${ms.map((t) => t.toFixed(1)).join(', ')} ms (5 calls)`)
    }
    const listing = await nodeSessions(2, 1)
    assert.equal(mine(listing.sessions, 'timing').length, count)
    await times(`node_sessions of node 1 (${listing.sessions.length} sessions), asked on node 2`, () => nodeSessions(2, 1))
    await times(`node_sessions of node 1 (${listing.sessions.length} sessions), asked on node 1`, () => nodeSessions(1, 1))
    const users = sessions.slice(0, 50).map((s) => s.bare)
    assert.equal((await locate(2, users)).sessions.length, users.length)
    await times('locate of 50 users, asked on node 2', () => locate(2, users))
  } finally {
    await stop(...sessions)
  }
})
