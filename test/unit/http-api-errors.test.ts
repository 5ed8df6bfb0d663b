// What the directory API's failures say: each names the fix (issue 16), and the ones no
// retry can mend (unknown host, TLS, a c2s port, 401/403/404) fail at once.
import assert from 'node:assert/strict'
import {createServer as createHttpServer, type RequestListener} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import {createServer as createTcpServer, type Server} from 'node:net'
import {after, test} from 'node:test'

import {EjabberdApi} from '../../src/adapters/ejabberd/http-api.js'
import {AuthError, DirectoryError, EXIT, TlsError, UnknownHostError, XtransferError} from '../../src/errors.js'
import {selfSignedCert} from '../support/self-signed-cert.js'

const servers: Server[] = []
after(() => servers.forEach((server) => server.close()))

async function listen(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as {port: number}).port
}

/** An HTTP server answering every call with `status` and `body`; counts the calls. */
async function answering(status: number, body: string, type = 'application/json') {
  const counter = {calls: 0}
  const handler: RequestListener = (request, response) => {
    counter.calls++
    request.resume()
    response.writeHead(status, {'content-type': type}).end(body)
  }
  const port = await listen(createHttpServer(handler))
  return {url: `http://127.0.0.1:${port}/api`, counter}
}

/** The call's error, and how long it took to come. */
async function failure(url: string, options: {retryForMs?: number} = {}): Promise<{error: XtransferError; ms: number}> {
  const api = new EjabberdApi({
    urls: [url],
    user: 'admin@example.test',
    password: 'pw',
    timeoutMs: 2_000,
    retryForMs: options.retryForMs ?? 5_000,
    backoffMs: 100,
  })
  const started = Date.now()
  try {
    await api.call('connected_users_info')
  } catch (error) {
    assert.ok(error instanceof XtransferError, `not one of ours: ${String(error)}`)
    assert.doesNotMatch(error.message, /\n/)
    return {error, ms: Date.now() - started}
  } finally {
    api.close()
  }
  assert.fail('the call succeeded')
}

test('HTTP 401: wrong admin password or JID (exit 3), not retried', async () => {
  const server = await answering(401, '{"status":"error","code":10,"message":"You are not authorized to call this command."}')
  const {error} = await failure(server.url)
  assert.ok(error instanceof AuthError)
  assert.equal(error.exitCode, EXIT.access)
  assert.match(error.message, /wrong admin password or JID \(admin@example\.test\)/)
  assert.doesNotMatch(error.message, /api_permissions/)
  assert.equal(server.counter.calls, 1)
})

test('HTTP 403: the api_permissions hint (exit 3)', async () => {
  const server = await answering(403, '{"status":"error","code":32,"message":"AccessRules: Account does not have the right to perform the operation."}')
  const {error} = await failure(server.url)
  assert.ok(error instanceof DirectoryError)
  assert.match(error.message, /api_permissions/)
  assert.match(error.message, /admin@example\.test/)
  assert.equal(server.counter.calls, 1)
})

test('HTTP 404 from something that is not the API: "no ejabberd API at URL", without the HTML body', async () => {
  const server = await answering(404, "<?xml version='1.0'?><html><body><h1>404 Not Found</h1></body></html>", 'text/html')
  const {error} = await failure(server.url)
  assert.ok(error instanceof DirectoryError)
  assert.equal(error.message, `no ejabberd API at ${server.url} (HTTP 404; is mod_http_api on that listener, under that path?)`)
})

test('HTTP 404 "Endpoint not found" from the API itself: the command is missing, not the API', async () => {
  const server = await answering(404, '{"status":"error","code":40,"message":"Endpoint not found."}')
  const {error} = await failure(server.url)
  assert.match(error.message, /has no command connected_users_info/)
  assert.match(error.message, /mod_admin_extra/)
})

test('a c2s (XMPP) port given as the API URL: said so, at once', async () => {
  const port = await listen(
    createTcpServer((socket) => {
      socket.on('error', () => {})
      socket.end(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'><stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`,
      )
    }),
  )
  const {error, ms} = await failure(`http://127.0.0.1:${port}/api`)
  assert.ok(error instanceof DirectoryError)
  assert.match(error.message, /not HTTP/)
  assert.match(error.message, /XMPP \(c2s\) port/)
  assert.ok(ms < 1_000, `${ms} ms`)
})

test('an unknown API host: exit 5 at once, not after the retries', async () => {
  const {error, ms} = await failure('https://no-such-host.invalid:5443/api', {retryForMs: 20_000})
  assert.ok(error instanceof UnknownHostError, String(error))
  assert.equal(error.exitCode, EXIT.unknownHost)
  assert.match(error.message, /no-such-host\.invalid/)
  assert.ok(ms < 5_000, `${ms} ms`)
})

test('a certificate that does not verify: exit 6 at once, with the NODE_EXTRA_CA_CERTS hint, one connection', async () => {
  const {key, cert} = selfSignedCert('xt-api-tls-')
  let connections = 0
  const server = createHttpsServer({key, cert}, (_, response) => response.end('[]'))
  server.on('connection', () => connections++)
  server.on('tlsClientError', () => {})
  const port = await listen(server)
  const {error, ms} = await failure(`https://127.0.0.1:${port}/api`, {retryForMs: 20_000})
  assert.ok(error instanceof TlsError, String(error))
  assert.equal(error.exitCode, EXIT.tls)
  assert.match(error.message, /self[- ]signed/i)
  assert.match(error.message, /NODE_EXTRA_CA_CERTS/)
  assert.equal(connections, 1)
  assert.ok(ms < 2_000, `${ms} ms`)
})

test('refused connections are still retried for retryFor, then exit 3', async () => {
  const port = await listen(createTcpServer())
  servers.pop()!.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const {error, ms} = await failure(`http://127.0.0.1:${port}/api`, {retryForMs: 600})
  assert.ok(error instanceof DirectoryError)
  assert.match(error.message, /unreachable.*ECONNREFUSED.*tries in/)
  assert.ok(ms >= 300, `${ms} ms`)
})
