// The lab's authoritative DNS server: deployed clients are configured with the domain only and
// find the cluster's nodes through `_xmpp-client._tcp.<domain>` SRV records, so the lab gives
// their own resolvers something to ask (pointed at 127.0.0.1:LAB_DNS_PORT). test/lab/dns.sh
// starts and stops it by PID and edits the records file (`dns.sh remove 1`), which is re-read
// on every query: an operator takes a node out of SRV before a drain, while clients run.
//   node --import tsx test/lab/dns-server.ts --port P --domain D --records FILE --ready FILE
import {createSocket, type RemoteInfo} from 'node:dgram'
import {readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Socket} from 'node:net'
import {parseArgs} from 'node:util'

import dnsPacket, {type Answer, type Packet, type Question} from 'dns-packet'

/** One line of the records file: `INDEX PORT in|out`. */
export interface SrvNode {
  index: number
  port: number
  inService: boolean
}

export function parseRecords(text: string): SrvNode[] {
  const nodes: SrvNode[] = []
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields.length !== 3 || line.trim().startsWith('#')) continue
    const [index, port, state] = fields
    if (!/^\d+$/.test(index) || !/^\d+$/.test(port) || (state !== 'in' && state !== 'out')) continue
    nodes.push({index: Number(index), port: Number(port), inService: state === 'in'})
  }
  return nodes
}

// SRV targets must resolve to 127.0.0.1 with every library's resolver, including those that
// resolve the target through getaddrinfo (libstrophe, xmpp.js) and never ask us: `localhost`.
const TARGET = 'localhost'
// Equal priority and weight: each library's own RFC 2782 selection (or the order we give) decides.
const PRIORITY = 10
const WEIGHT = 10

export interface Zone {
  domain: string
  nodes: () => SrvNode[]
  random: () => number
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** The answer section for one question, or null when the name does not exist (NXDOMAIN). */
export function answerFor(zone: Zone, question: Question): Answer[] | null {
  const name = question.name.toLowerCase().replace(/\.$/, '')
  const domain = zone.domain.toLowerCase()
  if (name === `_xmpp-client._tcp.${domain}`) {
    if (question.type !== 'SRV') return []
    const live = zone.nodes().filter((node) => node.inService)
    // TTL 0: a node taken out of the records must stop being handed out at once.
    return shuffled(live, zone.random).map((node) => ({
      type: 'SRV',
      class: 'IN',
      name: question.name,
      ttl: 0,
      data: {priority: PRIORITY, weight: WEIGHT, port: node.port, target: TARGET},
    }))
  }
  if (name === TARGET) {
    // The lab listens on IPv4 only: an AAAA answer (::1) would send clients to a closed port.
    return question.type === 'A' ? [{type: 'A', class: 'IN', name: question.name, ttl: 0, data: '127.0.0.1'}] : []
  }
  // The domain's own address, as production domains have one (xmpp.js 0.14 looks it up before
  // SRV and gives up without it; RFC 6120 clients fall back to it, port 5222: refused here).
  if (name === domain) {
    return question.type === 'A' ? [{type: 'A', class: 'IN', name: question.name, ttl: 0, data: '127.0.0.1'}] : []
  }
  return null
}

export function respond(zone: Zone, query: Packet): Packet {
  const questions = query.questions ?? []
  const answers: Answer[] = []
  let nxdomain = questions.length > 0
  for (const question of questions) {
    const found = answerFor(zone, question)
    if (found !== null) {
      nxdomain = false
      answers.push(...found)
    }
  }
  return {
    type: 'response',
    id: query.id,
    // AA, and RD echoed (libc's resolver is happy either way; dnspython checks the id only).
    flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | (nxdomain ? 3 : 0),
    questions,
    answers,
  }
}

function main(): void {
  const {values} = parseArgs({
    options: {
      port: {type: 'string'},
      domain: {type: 'string'},
      records: {type: 'string'},
      ready: {type: 'string'},
      host: {type: 'string', default: '127.0.0.1'},
    },
  })
  const port = Number(values.port)
  if (!values.domain || !values.records || !Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: dns-server.ts --port P --domain D --records FILE [--ready FILE]')
    process.exit(2)
  }
  const recordsFile = values.records
  const zone: Zone = {
    domain: values.domain,
    // Re-read per query (a few lines): `dns.sh remove N` takes effect on the next answer.
    nodes: () => {
      try {
        return parseRecords(readFileSync(recordsFile, 'utf8'))
      } catch {
        return []
      }
    },
    random: Math.random,
  }
  const log = (how: string, query: Packet, reply: Packet) => {
    const q = (query.questions ?? []).map((x) => `${x.type} ${x.name}`).join(', ')
    const a = (reply.answers ?? []).map((x) => (x.type === 'SRV' ? `${x.data.port}` : x.type === 'A' ? x.data : x.type)).join(' ')
    console.log(`${new Date().toISOString()} ${how} ${q} -> ${(reply.flags ?? 0) & 15 ? 'NXDOMAIN' : a || '(empty)'}`)
  }

  const udp = createSocket('udp4')
  udp.on('message', (message: Buffer, peer: RemoteInfo) => {
    let query: Packet
    try {
      query = dnsPacket.decode(message)
    } catch {
      return
    }
    const reply = respond(zone, query)
    log('udp', query, reply)
    udp.send(dnsPacket.encode(reply), peer.port, peer.address)
  })

  // TCP for resolvers that retry there (a truncated answer, or c-ares's use_vc).
  const tcp = createServer((socket: Socket) => {
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0)
        const message = buffered.subarray(0, 2 + length)
        buffered = buffered.subarray(2 + length)
        try {
          const query = dnsPacket.streamDecode(message)
          const reply = respond(zone, query)
          log('tcp', query, reply)
          socket.write(dnsPacket.streamEncode(reply))
        } catch {
          socket.destroy()
          return
        }
      }
    })
    socket.on('error', () => socket.destroy())
  })

  let listening = 0
  const ready = () => {
    if (++listening < 2) return
    if (values.ready) writeFileSync(values.ready, `${process.pid}\n`)
    console.log(`${new Date().toISOString()} serving ${zone.domain} on ${values.host}:${port} (udp, tcp), records ${recordsFile}`)
  }
  const fail = (error: Error) => {
    console.error(`dns-server: ${error.message}`)
    process.exit(1)
  }
  udp.once('error', fail)
  tcp.once('error', fail)
  udp.bind(port, values.host, ready)
  tcp.listen(port, values.host, ready)
  const stop = () => {
    udp.close()
    tcp.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main()
