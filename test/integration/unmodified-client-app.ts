// An application built on @xmpp/client 0.14 as its README shows, nothing of xtransfer in it:
// it logs in (SCRAM, reconnect on), logs errors, and stays online until SIGTERM. Run as a
// child process by companion-prosody.test.ts, so that a crash (an uncaught exception, as the
// empty <see-other-host/> of Prosody's shell causes) shows as the process dying.
//   node --import tsx test/integration/unmodified-client-app.ts SERVICE DOMAIN USERNAME RESOURCE
// Password on stdin (never in argv). Prints one JSON object per line: what happened.
import {client} from '@xmpp/client'
import type {Element} from '@xmpp/xml'

const [service, domain, username, resource] = process.argv.slice(2)
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`)

let password = ''
for await (const chunk of process.stdin) password += String(chunk)

const xmpp = client({service, domain, username, password: password.trim(), resource})

xmpp.on('error', (error: Error & {condition?: string}) => say({event: 'error', condition: error.condition, message: error.message}))
xmpp.on('element', (element: Element) => {
  if (element.name === 'stream:error') say({event: 'stream-error', xml: element.toString()})
})
xmpp.on('online', (address: {toString(): string}) => {
  const socket = (xmpp as unknown as {socket?: {remotePort?: number}}).socket
  say({event: 'online', jid: address.toString(), port: socket?.remotePort})
})
xmpp.on('offline', () => say({event: 'offline'}))

process.once('SIGTERM', () => {
  xmpp
    .stop()
    .catch(() => {})
    .finally(() => {
      say({event: 'stopped'})
      process.exit(0)
    })
})

await xmpp.start()
