import assert from 'node:assert/strict'
import {createServer} from 'node:http'
import {test} from 'node:test'

import {EjabberdApi} from '../../src/adapters/ejabberd/http-api.js'
import {openCluster} from '../../src/cluster/open-cluster.js'
import {parseConfig} from '../../src/config/load-config.js'
import {EXIT, TlsError} from '../../src/errors.js'

const base = {user: 'admin@example.test', password: 'pw', timeoutMs: 1000, retryForMs: 0}

function configWith(api: string, insecurePlain: boolean) {
  return parseConfig(`domain: example.test
admin: {jid: admin@example.test, service: 'xmpps://xmpp.example.test:5223', insecurePlain: ${insecurePlain}}
directory: {type: ejabberd, api: '${api}'}
nodes:
  node-1: {address: '10.0.0.3:5222', server: ejabberd@node1}
`)
}

test('HTTP Basic over plain http:// to a host that is not loopback is refused before any request (exit 6), naming the switch', () => {
  for (const url of ['http://192.0.2.10:5281/api', 'http://ejabberd.example.test:5280/api', 'http://[2001:db8::1]:5280/api']) {
    assert.throws(
      () => new EjabberdApi({...base, urls: [url]}),
      (error: unknown) => {
        assert.ok(error instanceof TlsError, String(error))
        assert.equal(error.exitCode, EXIT.tls)
        assert.match(error.message, /plain http:\/\//)
        assert.match(error.message, /https:\/\//)
        assert.match(error.message, /admin\.insecurePlain/)
        return true
      },
      url,
    )
  }
  // The config's own switch is what allows it, through openCluster.
  assert.throws(() => openCluster({config: configWith('http://192.0.2.10:5281/api', false), password: 'pw'}), TlsError)
  void openCluster({config: configWith('http://192.0.2.10:5281/api', true), password: 'pw'}).close()
})

test('loopback over http://, and anything over https://, needs no switch', async () => {
  for (const url of [
    'http://127.0.0.1:5281/api',
    'http://localhost:5281/api',
    'http://[::1]:5281/api',
    'http://127.8.9.10/api',
    'https://192.0.2.10:5443/api',
  ]) {
    new EjabberdApi({...base, urls: [url]}).close()
  }
  new EjabberdApi({...base, urls: ['http://192.0.2.10:5281/api'], insecurePlain: true}).close()
  // And a loopback call really goes out with the credentials.
  let authorization: string | undefined
  const server = createServer((request, response) => {
    authorization = request.headers.authorization
    response.end('[]')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  const api = new EjabberdApi({...base, urls: [`http://127.0.0.1:${port}/api`]})
  try {
    assert.deepEqual(await api.call('list_cluster'), [])
    assert.equal(authorization, `Basic ${Buffer.from('admin@example.test:pw').toString('base64')}`)
  } finally {
    api.close()
    server.close()
  }
})
