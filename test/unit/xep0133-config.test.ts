// The config of a cluster listed through XEP-0133 (directory type xep0133).
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {nodeService} from '../../src/config/config-schema.js'
import {parseConfig} from '../../src/config/load-config.js'
import {ConfigError} from '../../src/errors.js'

const XEP0133 = `domain: example.test
admin:
  jid: admin@example.test
  service: xmpp://127.0.0.1:27221
  insecurePlain: true
directory:
  type: xep0133
nodes:
  p-1: { address: 127.0.0.1:27221 }
  p-2: { address: 127.0.0.1:27222, server: prosody-b, service: xmpps://xmpp-b.example.test:5223 }
`

function refused(text: string): string {
  try {
    parseConfig(text, 'c.yaml')
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error))
    return error.message
  }
  return assert.fail('the config was accepted')
}

describe('config: directory type xep0133', () => {
  test('no API URL; nodes need no server (it defaults to the node name) and may name a service', () => {
    const config = parseConfig(XEP0133, 'c.yaml')
    assert.deepEqual(config.directory, {type: 'xep0133', timeout: '10s', retryFor: '20s'})
    assert.deepEqual(config.nodes['p-1'], {address: '127.0.0.1:27221', server: 'p-1'})
    assert.deepEqual(config.nodes['p-2'], {address: '127.0.0.1:27222', server: 'prosody-b', service: 'xmpps://xmpp-b.example.test:5223'})
  })

  test("a node's service defaults to xmpp://<address>", () => {
    const config = parseConfig(XEP0133, 'c.yaml')
    assert.equal(nodeService(config.nodes['p-1']), 'xmpp://127.0.0.1:27221')
    assert.equal(nodeService(config.nodes['p-2']), 'xmpps://xmpp-b.example.test:5223')
  })

  test('an api key, or a service that is not xmpp(s)://, is refused', () => {
    assert.match(refused(XEP0133.replace('  type: xep0133\n', '  type: xep0133\n  api: http://127.0.0.1:5281/api\n')), /directory: unknown key "api"/)
    assert.match(refused(XEP0133.replace('xmpps://xmpp-b.example.test:5223', 'https://xmpp-b.example.test')), /nodes\.p-2\.service: .*xmpp:\/\//)
  })

  test("ejabberd still needs each node's server (its Erlang node name)", () => {
    const ejabberd = XEP0133.replace('  type: xep0133\n', '  type: ejabberd\n  api: http://127.0.0.1:25281/api\n')
    assert.match(refused(ejabberd), /nodes\.p-1\.server is missing$/)
  })

  test('another directory type names both supported ones', () => {
    assert.match(refused(XEP0133.replace('type: xep0133', 'type: openfire')), /directory\.type: only "ejabberd" and "xep0133" are supported as directory types/)
  })
})
