// An unmodified @xmpp/client 0.14 app (no xtransfer helper) for the lab, driven by JSON lines
// (test/clients/README.md). Each user is configured with the domain only: @xmpp/resolve looks up
// SRV through node:dns (pointed at the lab's DNS server with dns.setServers, as an app on a
// private network would), STARTTLS verified with NODE_EXTRA_CA_CERTS (or --ca, re-exec'd),
// XEP-0198 with resumption (the client's default), caps in the initial presence and a disco#info
// answer for them (an app's job: the library has neither), and the library's own reconnect
// (1 s after every disconnect, and it follows <see-other-host> by itself).
//   node --import tsx test/clients/xmppjs-client.ts --domain D --dns-port P --ca FILE --users a,b
import {createHash} from 'node:crypto'
import dns from 'node:dns'
import {createRequire} from 'node:module'
import {parseArgs} from 'node:util'

import {client as createClient, xml, type XmppClient} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

const NS_CAPS = 'http://jabber.org/protocol/caps'
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'
const NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams'
const IDENTITY = {category: 'client', type: 'pc', name: 'xmppjs-client (xtransfer lab)'}
const FEATURES = [NS_CAPS, NS_DISCO_INFO].sort()
const IQ_ANSWER_WAIT_MS = 3000

function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({event, t: Date.now(), ...fields})}\n`)
}

const {values} = parseArgs({
  options: {
    domain: {type: 'string'},
    'dns-port': {type: 'string'},
    ca: {type: 'string'},
    users: {type: 'string'},
    resource: {type: 'string', default: 'xmppjs'},
    'caps-node': {type: 'string', default: 'https://xmpp.js.org'},
    'reconnect-delay': {type: 'string', default: '1000'},
  },
})
const password = process.env.XMPP_PASSWORD
if (!values.domain || !values['dns-port'] || !values.ca || !values.users || !password) {
  console.error(
    'usage: xmppjs-client.ts --domain D --dns-port P --ca FILE --users u1,u2 [--resource R] [--caps-node URI] [--reconnect-delay MS] (password in XMPP_PASSWORD)',
  )
  process.exit(2)
}
// Node reads NODE_EXTRA_CA_CERTS once, at start: the driver sets it; refuse to run without it.
if (process.env.NODE_EXTRA_CA_CERTS !== values.ca) {
  console.error(`xmppjs-client: run with NODE_EXTRA_CA_CERTS=${values.ca} (Node trusts extra CAs only from its start)`)
  process.exit(2)
}
const domain = values.domain
const capsNode = values['caps-node']!
const reconnectDelay = Number(values['reconnect-delay'])
const labDns = [`127.0.0.1:${values['dns-port']}`]
dns.setServers(labDns)
// @xmpp/resolve 0.14 first resolves the domain's own address with dns.lookup (getaddrinfo: the
// system's resolver, which dns.setServers does not change) and gives up on ENOTFOUND before it
// looks at SRV. A production domain has an address; in the lab only the lab's DNS knows it.
const labResolver = new dns.Resolver()
labResolver.setServers(labDns)
const systemLookup = dns.lookup
const lookupThroughLab = (hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
  if (hostname.toLowerCase() !== domain.toLowerCase()) return (systemLookup as (...args: unknown[]) => void)(hostname, options, callback)
  labResolver.resolve4(hostname, (error, addresses) => {
    if (error) callback(error)
    else if ((options as {all?: boolean})?.all)
      callback(
        null,
        addresses.map((address) => ({address, family: 4})),
      )
    else callback(null, addresses[0], 4)
  })
}
;(dns as unknown as {lookup: typeof lookupThroughLab}).lookup = lookupThroughLab

const version = (createRequire(import.meta.url)('@xmpp/client/package.json') as {version: string}).version
const capsVer = createHash('sha1')
  .update(`${IDENTITY.category}/${IDENTITY.type}//${IDENTITY.name}<${FEATURES.map((f) => `${f}<`).join('')}`)
  .digest('base64')

interface StreamEnd {
  condition: string | null
  text: string | null
  seeOtherHost: string | null
}

function startUser(user: string): {client: XmppClient; stop: () => Promise<void>} {
  const client = createClient({service: domain, domain, resource: values.resource, username: user, password})
  client.reconnect.delay = reconnectDelay
  let stopping = false
  let online = false
  let connectingTo: string | null = null
  let ended: StreamEnd | null = null
  const pending = new Map<string, {from: string | null; id: string; type: string; namespace: string | null; timer: NodeJS.Timeout}>()

  const where = () => {
    const match = connectingTo?.match(/^xmpps?:\/\/\[?([^\]]+?)\]?:(\d+)$/)
    return match ? {host: match[1], port: Number(match[2])} : {host: null, port: null}
  }
  client.on('connecting', (service: string) => (connectingTo = service))
  client.on('error', () => {}) // stream errors are read from the element below
  client.on('element', (element: Element) => {
    if (element.is('error', 'http://etherx.jabber.org/streams')) {
      const condition = element.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_STREAMS && c.name !== 'text')
      ended = {
        condition: condition?.name ?? null,
        text: element.getChildText('text', NS_STREAMS),
        seeOtherHost: condition?.name === 'see-other-host' ? condition.text() : null,
      }
    }
    if (element.is('iq') && (element.attrs.type === 'get' || element.attrs.type === 'set')) {
      const child = element.children.find((c): c is Element => typeof c !== 'string')
      const seen = {from: element.attrs.from ?? null, id: element.attrs.id ?? '', type: element.attrs.type, namespace: child?.attrs.xmlns ?? null}
      const timer = setTimeout(() => {
        pending.delete(seen.id)
        emit('iq', {user, ...seen, answer: null, condition: null})
      }, IQ_ANSWER_WAIT_MS)
      pending.set(seen.id, {...seen, timer})
    }
  })
  client.on('send', (element: Element) => {
    const seen = element.is('iq') ? pending.get(element.attrs.id ?? '') : undefined
    if (!seen || (element.attrs.type !== 'result' && element.attrs.type !== 'error')) return
    clearTimeout(seen.timer)
    pending.delete(seen.id)
    const error = element.getChild('error')
    const condition = error?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? null
    emit('iq', {user, from: seen.from, id: seen.id, type: seen.type, namespace: seen.namespace, answer: element.attrs.type, condition})
  })
  client.iqCallee.get(NS_DISCO_INFO, 'query', () =>
    xml('query', {xmlns: NS_DISCO_INFO}, xml('identity', IDENTITY), ...FEATURES.map((v) => xml('feature', {var: v}))),
  )

  client.on('online', async (jid) => {
    online = true
    emit('online', {user, jid: jid.toString(), ...where()})
    await client.send(xml('presence', {}, xml('c', {xmlns: NS_CAPS, hash: 'sha-1', node: capsNode, ver: capsVer}))).catch(() => {})
  })
  // The typings in src/types know the counters only; the object is an EventEmitter.
  ;(client.streamManagement as unknown as NodeJS.EventEmitter).on('resumed', () => {
    online = true
    emit('resumed', {user, jid: client.jid?.toString() ?? null, ...where()})
  })
  client.on('disconnect', ({clean, reason}: {clean: boolean; reason?: unknown}) => {
    const end = ended ?? {condition: null, text: null, seeOtherHost: null}
    ended = null
    emit('disconnected', {
      user,
      ...end,
      clean,
      reason: reason instanceof Error ? reason.message : null,
      wasOnline: online,
      reconnect: !stopping,
      delayMs: stopping ? 0 : reconnectDelay,
    })
    online = false
  })
  client.on('stanza', (stanza: Element) => {
    if (stanza.is('message') && stanza.getChildText('body') !== null) {
      emit('message', {user, from: stanza.attrs.from ?? null, id: stanza.attrs.id ?? null, body: stanza.getChildText('body')})
    }
  })
  client.start().catch((error: Error) => emit('connect-failed', {user, message: error.message}))
  return {
    client,
    stop: async () => {
      stopping = true
      await client.stop().catch(() => {})
      emit('offline', {user, reason: 'stopped'})
    },
  }
}

const users = new Map(
  values.users
    .split(',')
    .filter(Boolean)
    .map((user) => [user, startUser(user)]),
)
emit('ready', {library: '@xmpp/client', version, capsNode})

let stopping = false
async function stopAll(): Promise<void> {
  if (stopping) return
  stopping = true
  await Promise.race([Promise.all([...users.values()].map((u) => u.stop())), new Promise((resolve) => setTimeout(resolve, 3000))])
  emit('stopped')
  process.exit(0)
}

let buffered = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk: string) => {
  buffered += chunk
  let newline
  while ((newline = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, newline).trim()
    buffered = buffered.slice(newline + 1)
    if (!line) continue
    let command: {cmd?: string; user?: string; to?: string; body?: string}
    try {
      command = JSON.parse(line)
    } catch {
      emit('error', {message: 'a command must be one JSON object per line'})
      continue
    }
    if (command.cmd === 'stop') void stopAll()
    else if (command.cmd === 'send') {
      const entry = users.get(command.user ?? '') ?? [...users.values()][0]
      if (!command.to || command.body === undefined) {
        emit('error', {message: 'send needs "to" and "body"'})
        continue
      }
      if (entry.client.status !== 'online') {
        emit('error', {message: 'not online'})
        continue
      }
      const id = `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
      entry.client
        .send(xml('message', {to: command.to, type: 'chat', id}, xml('body', {}, command.body)))
        .then(() => emit('sent', {user: entry.client.jid?.local ?? command.user, to: command.to, id}))
        .catch((error: Error) => emit('error', {message: error.message}))
    } else emit('error', {message: `unknown command ${JSON.stringify(command.cmd)}`})
  }
})
process.stdin.on('end', () => void stopAll())
