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
  // What is tested is the trace, not the time: on a machine loaded by other test runs a login
  // step took over 10 s here (0.65 s for the whole test on a quiet one).
  timeoutMs: 25_000,
  trace: (direction, xml) => process.stderr.write(`${direction === 'in' ? '<<' : '>>'} ${xml}\n`),
})
process.stdout.write(`online as ${admin.jid}\n`)
await admin.close()
