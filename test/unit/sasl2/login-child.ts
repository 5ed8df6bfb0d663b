// Run as a child process (it needs NODE_EXTRA_CA_CERTS at start-up to trust the fake
// server): one admin login with the --debug trace on stderr, exactly as the CLI prints it.
import {connectAdmin} from '../../../src/connection/admin-session.js'

const [service, password] = [process.argv[2], process.env.CHILD_ADMIN_PASSWORD ?? '']
const admin = await connectAdmin({
  jid: 'admin@example.test',
  password,
  service,
  insecurePlain: false,
  resource: 'xtransfer',
  timeoutMs: 25_000,
  trace: (direction, xml) => process.stderr.write(`${direction === 'in' ? '<<' : '>>'} ${xml}\n`),
})
process.stdout.write(`online as ${admin.jid}\n`)
await admin.close()
// When the login won its race with @xmpp/connection's open() (see connectAdmin), that open()
// still waits out its timeout: a timer that kept this child alive 25 s more.
process.exit(0)
