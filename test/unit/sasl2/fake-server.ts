// A tiny XMPP peer that offers only SASL2 (XEP-0388) with PLAIN over direct TLS, as a
// server that speaks it would: enough for xmpp.js 0.14 to log in and bind.
import {createServer, type Server, type TLSSocket} from 'node:tls'

import {selfSignedCert} from '../../support/self-signed-cert.js'

export interface FakeSasl2Server {
  port: number
  /** PEM of its self-signed certificate (IP:127.0.0.1), for NODE_EXTRA_CA_CERTS. */
  caFile: string
  /** The decoded PLAIN message each login sent ("\0user\0password"). */
  readonly logins: string[]
  close(): Promise<void>
}

/** `additionalData`: what <success> carries in <additional-data> (a server's SCRAM signature, in real life). */
export async function startFakeSasl2Server(additionalData: string): Promise<FakeSasl2Server> {
  const {key, cert, certFile} = selfSignedCert('xt-sasl2-')
  const logins: string[] = []
  const server: Server = createServer({key, cert}, (socket) => converse(socket, additionalData, logins))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    caFile: certFile,
    logins,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' from='example.test' id='s1'>`

function converse(socket: TLSSocket, additionalData: string, logins: string[]): void {
  let buffer = ''
  let stage: 'header' | 'auth' | 'bind' | 'online' = 'header'
  socket.setEncoding('utf8')
  socket.on('error', () => {})
  socket.on('data', (chunk: string) => {
    buffer += chunk
    if (stage === 'header' && buffer.includes('<stream:stream')) {
      buffer = ''
      stage = 'auth'
      socket.write(`${HEADER}<stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism></authentication></stream:features>`)
    }
    if (stage === 'auth' && buffer.includes('</authenticate>')) {
      const initial = /<initial-response>([^<]*)<\/initial-response>/.exec(buffer)?.[1] ?? ''
      logins.push(Buffer.from(initial, 'base64').toString('utf8'))
      buffer = ''
      stage = 'bind'
      // XEP-0388: no stream restart after <success/>; the features of the authenticated stream follow.
      socket.write(
        `<success xmlns='urn:xmpp:sasl:2'><additional-data>${Buffer.from(additionalData).toString('base64')}</additional-data>` +
          `<authorization-identifier>admin@example.test</authorization-identifier></success>` +
          `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
      )
    }
    if (stage === 'bind' && /<iq [^>]*type=["']set["']/.test(buffer) && buffer.includes('</iq>')) {
      const id = /<iq [^>]*id=["']([^"']+)["']/.exec(buffer)?.[1] ?? ''
      buffer = ''
      stage = 'online'
      socket.write(`<iq type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>admin@example.test/xtransfer</jid></bind></iq>`)
    }
    if (stage === 'online' && buffer.includes('</stream:stream>')) {
      socket.end('</stream:stream>')
    }
  })
}
