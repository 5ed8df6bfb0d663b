// The lab's untrusted STARTTLS endpoint (LAB_TLS_PORT): it offers STARTTLS like an XMPP server
// and then presents a self-signed certificate, so tests can check that a client refuses it.
// Why not an ejabberd listener: ejabberd 23.01 serves STARTTLS with the one certificate its pkix
// store holds for the domain, and folds every listener `certfile` into that store, so one node
// cannot present a trusted certificate on one port and an untrusted one on another (tried: node
// 1 then served the self-signed one on its default port too). Nothing here gets past TLS: no
// client that verifies certificates ever sends a byte of SASL to it.
//   node --import tsx test/lab/untrusted-tls.ts --port P --domain D --pem FILE --ready FILE
import {readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Socket} from 'node:net'
import {TLSSocket} from 'node:tls'
import {parseArgs} from 'node:util'

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls'

function serve(socket: Socket, domain: string, pem: string): void {
  let seen = ''
  let header = false
  socket.setTimeout(10_000, () => socket.destroy())
  socket.on('error', () => socket.destroy())
  const onData = (chunk: Buffer) => {
    seen += chunk.toString('utf8')
    if (!header && /<(stream:)?stream[\s>]/.test(seen) && seen.includes('>', seen.search(/<(stream:)?stream/))) {
      header = true
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' ` +
          `from='${domain}' id='untrusted-${Date.now()}' version='1.0' xml:lang='en'>` +
          `<stream:features><starttls xmlns='${NS_TLS}'><required/></starttls></stream:features>`,
      )
    }
    if (header && /<starttls[\s/>]/.test(seen)) {
      socket.off('data', onData)
      socket.write(`<proceed xmlns='${NS_TLS}'/>`, () => {
        const tls = new TLSSocket(socket, {isServer: true, key: pem, cert: pem})
        // A client that verifies aborts the handshake; one that does not gets a closed stream.
        tls.on('secure', () => tls.end('</stream:stream>'))
        tls.on('error', () => socket.destroy())
      })
    }
    if (seen.length > 65_536) socket.destroy()
  }
  socket.on('data', onData)
}

function main(): void {
  const {values} = parseArgs({
    options: {
      port: {type: 'string'},
      domain: {type: 'string'},
      pem: {type: 'string'},
      ready: {type: 'string'},
    },
  })
  const port = Number(values.port)
  if (!values.domain || !values.pem || !Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: untrusted-tls.ts --port P --domain D --pem FILE [--ready FILE]')
    process.exit(2)
  }
  const pem = readFileSync(values.pem, 'utf8')
  const domain = values.domain
  const server = createServer((socket) => serve(socket, domain, pem))
  server.once('error', (error) => {
    console.error(`untrusted-tls: ${error.message}`)
    process.exit(1)
  })
  server.listen(port, '127.0.0.1', () => {
    if (values.ready) writeFileSync(values.ready, `${process.pid}\n`)
    console.log(`${new Date().toISOString()} untrusted STARTTLS for ${domain} on 127.0.0.1:${port}`)
  })
  const stop = () => {
    server.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main()
