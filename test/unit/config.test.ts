import assert from 'node:assert/strict'
import {chmod, mkdir, rm, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {after, before, describe, test} from 'node:test'

import {configPath, loadConfig, parseConfig} from '../../src/config/load-config.js'
import {ConfigError, EXIT} from '../../src/errors.js'
import {testTempDir} from '../support/temp-dir.js'

const VALID = `domain: example.test
admin:
  jid: admin@example.test
  service: xmpp://127.0.0.1:25221
  insecurePlain: true
directory:
  type: ejabberd
  api: http://127.0.0.1:25281/api
nodes:
  node-1: { address: 127.0.0.1:25221, server: xtlab1@localhost }
  node-2: { address: 127.0.0.1:25222, server: xtlab2@localhost }
`

const PATH = '/etc/xt/config.yaml'

/** `text` with `from` replaced once; fails loudly if `from` is not there, so a case cannot test the valid config by accident. */
function edit(text: string, from: string | RegExp, to: string): string {
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `fixture has no ${from}`)
  return text.replace(from, to)
}

/** parseConfig must refuse `text` with a one-line ConfigError (exit 2) matching every pattern. */
function assertRefused(text: string, ...patterns: RegExp[]): string {
  let caught: unknown
  try {
    parseConfig(text, PATH)
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught === undefined ? 'a parsed config' : String(caught)}`)
  assert.equal(caught.exitCode, EXIT.usage)
  assert.equal(caught.exitCode, 2)
  assert.doesNotMatch(caught.message, /\n/, 'the message is one line')
  assert.ok(caught.message.startsWith(PATH), `the message names the file: ${caught.message}`)
  for (const pattern of patterns) assert.match(caught.message, pattern)
  return caught.message
}

describe('parseConfig: a valid config', () => {
  test('parses, with defaults filled in', () => {
    const config = parseConfig(VALID, PATH)
    assert.deepEqual(config, {
      domain: 'example.test',
      admin: {jid: 'admin@example.test', service: 'xmpp://127.0.0.1:25221', insecurePlain: true, resource: 'xtransfer'},
      directory: {type: 'ejabberd', api: 'http://127.0.0.1:25281/api', timeout: '10s', retryFor: '20s'},
      nodes: {
        'node-1': {address: '127.0.0.1:25221', server: 'xtlab1@localhost'},
        'node-2': {address: '127.0.0.1:25222', server: 'xtlab2@localhost'},
      },
    })
  })

  test('insecurePlain defaults to false (the login must be encrypted)', () => {
    const config = parseConfig(edit(VALID, '  insecurePlain: true\n', ''), PATH)
    assert.equal(config.admin.insecurePlain, false)
    assert.equal(config.admin.resource, 'xtransfer')
    assert.equal(config.directory.timeout, '10s')
  })

  test('optional keys are kept when given', () => {
    const text = edit(
      edit(VALID, '  insecurePlain: true\n', '  passwordFile: /run/secrets/xt\n  resource: ops\n'),
      '  api: http://127.0.0.1:25281/api\n',
      '  api: https://xmpp.example.test/api\n  timeout: 3s\n',
    )
    const config = parseConfig(text, PATH)
    assert.equal(config.admin.passwordFile, '/run/secrets/xt')
    assert.equal(config.admin.resource, 'ops')
    assert.equal(config.directory.timeout, '3s')
    assert.equal(config.directory.type, 'ejabberd')
    assert.equal(config.directory.type === 'ejabberd' && config.directory.api, 'https://xmpp.example.test/api')
  })

  test('xmpps:, IPv6 and host-name addresses, and one node are fine', () => {
    const text = edit(
      edit(VALID, 'xmpp://127.0.0.1:25221', 'xmpps://xmpp.example.test:5223'),
      /nodes:[\s\S]*/,
      'nodes:\n  a_1.b: { address: "[2001:db8::1]:5222", server: n@h }\n  b: { address: node-b.example.test, server: n@h }\n',
    )
    const config = parseConfig(text, PATH)
    assert.deepEqual(Object.keys(config.nodes), ['a_1.b', 'b'])
  })
})

describe('parseConfig: refusals name the key and the problem', () => {
  test('not YAML: the line of the error', () => {
    assertRefused('domain: example.test\nadmin:\n  jid: a: b\nnodes: {}\n', /not valid YAML/, /\(line 3\)/, /Nested mappings/)
    assertRefused('domain: a\ndomain: b\n', /not valid YAML/, /\(line 2\)/, /unique/)
    assertRefused(edit(VALID, 'directory:\n', 'directory:\n\ttype: x\n'), /not valid YAML/, /\(line 7\)/)
  })

  test('YAML that is not a mapping', () => {
    for (const text of ['- domain\n- admin\n', 'just a string\n', '42\n', '', '~\n']) {
      assertRefused(text, /must be a YAML mapping/, /domain, admin, directory and nodes/)
    }
  })

  test('missing domain', () => {
    assertRefused(edit(VALID, 'domain: example.test\n', ''), /: domain is missing$/)
  })

  test('bad domain', () => {
    assertRefused(edit(VALID, 'domain: example.test', 'domain: "exa mple.test"'), /: domain: /, /exa mple\.test/)
  })

  test('missing admin and missing admin.jid', () => {
    assertRefused(edit(VALID, /admin:\n( {2}.*\n)+/, ''), /: admin is missing$/)
    assertRefused(edit(VALID, '  jid: admin@example.test\n', ''), /: admin\.jid is missing$/)
  })

  test('bad admin.jid: not bare, no @, two @', () => {
    for (const jid of ['admin', 'admin@example.test/res', 'a@b@c', '@example.test', 'ad min@example.test']) {
      assertRefused(edit(VALID, 'jid: admin@example.test', `jid: "${jid}"`), /admin\.jid: /, /bare JID/)
    }
  })

  test('admin.service must be xmpp:// or xmpps://', () => {
    assertRefused(edit(VALID, 'xmpp://127.0.0.1:25221', 'http://127.0.0.1:25221'), /admin\.service: /, /xmpp:\/\//, /xmpps:\/\//)
    assertRefused(edit(VALID, 'xmpp://127.0.0.1:25221', '127.0.0.1:25221'), /admin\.service: /, /not a URL/)
    assertRefused(edit(VALID, '  service: xmpp://127.0.0.1:25221\n', ''), /admin\.service is missing$/)
  })

  test('admin.insecurePlain must be a boolean', () => {
    assertRefused(edit(VALID, 'insecurePlain: true', 'insecurePlain: "yes"'), /admin\.insecurePlain: /, /boolean/)
  })

  test('directory.type other than ejabberd', () => {
    assertRefused(edit(VALID, 'type: ejabberd', 'type: prosody'), /directory\.type: /, /only "ejabberd"/)
  })

  test('bad directory.api URL', () => {
    for (const api of ['ftp://127.0.0.1/api', 'not a url', '127.0.0.1:25281/api']) {
      assertRefused(edit(VALID, 'api: http://127.0.0.1:25281/api', `api: "${api}"`), /directory\.api: /, /http\(s\):\/\//)
    }
  })

  test('unknown keys, at the top and inside sections', () => {
    assertRefused(`${VALID}extra: 1\n`, /\(top level\): unknown key "extra"/)
    assertRefused(edit(VALID, '  insecurePlain: true\n', '  insecurePlain: true\n  password: hunter2\n'), /admin: unknown key "password"/)
    assertRefused(edit(VALID, 'server: xtlab2@localhost }', 'server: xtlab2@localhost, port: 1 }'), /nodes\.node-2: unknown key "port"/)
  })

  test('a node with a bad address', () => {
    assertRefused(edit(VALID, '127.0.0.1:25222', '999.1.1.1:5222'), /nodes\.node-2\.address: /, /bad address/, /999\.1\.1\.1/)
    assertRefused(edit(VALID, '127.0.0.1:25222', 'host:0'), /nodes\.node-2\.address: /, /port "0"/)
    assertRefused(edit(VALID, '127.0.0.1:25222', 'host:65536'), /nodes\.node-2\.address: /, /port "65536"/)
    assertRefused(edit(VALID, '127.0.0.1:25222', '"2001:db8::1"'), /nodes\.node-2\.address: /, /brackets/)
    assertRefused(edit(VALID, 'address: 127.0.0.1:25222, ', ''), /nodes\.node-2\.address is missing$/)
  })

  test('a bad node name', () => {
    assertRefused(edit(VALID, 'node-2:', '"node 2":'), /nodes\.node 2: /, /node names are/)
    assertRefused(edit(VALID, 'node-2:', '-node:'), /nodes\.-node: /, /node names are/)
  })

  test('no nodes', () => {
    assertRefused(edit(VALID, /nodes:[\s\S]*/, 'nodes: {}\n'), /nodes: list at least one node$/)
    assertRefused(edit(VALID, /nodes:[\s\S]*/, ''), /nodes is missing$/)
    assertRefused(edit(VALID, /nodes:[\s\S]*/, 'nodes:\n'), /: nodes: /)
  })

  test('the default file name in messages is "config"', () => {
    assert.throws(
      () => parseConfig('- a\n'),
      (error: Error) => error instanceof ConfigError && error.message.startsWith('config must be'),
    )
  })
})

describe('configPath', () => {
  test('--config wins over XTRANSFER_CONFIG and XDG_CONFIG_HOME, and is made absolute', () => {
    const env = {XTRANSFER_CONFIG: '/from/env.yaml', XDG_CONFIG_HOME: '/xdg'}
    assert.equal(configPath({flag: '/from/flag.yaml', env}), '/from/flag.yaml')
    assert.equal(configPath({flag: 'relative.yaml', env}), resolve('relative.yaml'))
  })

  test('XTRANSFER_CONFIG wins over XDG_CONFIG_HOME', () => {
    assert.equal(configPath({env: {XTRANSFER_CONFIG: '/from/env.yaml', XDG_CONFIG_HOME: '/xdg'}}), '/from/env.yaml')
  })

  test('else $XDG_CONFIG_HOME/xtransfer/config.yaml', () => {
    assert.equal(configPath({env: {XDG_CONFIG_HOME: '/xdg'}}), '/xdg/xtransfer/config.yaml')
  })

  test('empty values do not count', () => {
    assert.equal(configPath({flag: '', env: {XTRANSFER_CONFIG: '', XDG_CONFIG_HOME: '/xdg'}}), '/xdg/xtransfer/config.yaml')
  })

  test('with nothing set, a file named xtransfer/config.yaml in the user config directory', () => {
    assert.match(configPath({env: {}}), /\/xtransfer\/config\.yaml$/)
  })
})

describe('loadConfig', () => {
  let dir: string
  before(async () => {
    dir = testTempDir('xtransfer-config-')
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  test('reads the file --config names and returns its path', async () => {
    const path = join(dir, 'flag.yaml')
    await writeFile(path, VALID)
    const config = await loadConfig({flag: path, env: {XTRANSFER_CONFIG: join(dir, 'nope.yaml')}})
    assert.equal(config.path, path)
    assert.equal(config.domain, 'example.test')
  })

  test('reads XTRANSFER_CONFIG, then XDG_CONFIG_HOME/xtransfer/config.yaml', async () => {
    const envPath = join(dir, 'env.yaml')
    await writeFile(envPath, edit(VALID, 'domain: example.test', 'domain: env.test'))
    await mkdir(join(dir, 'xdg', 'xtransfer'), {recursive: true})
    await writeFile(join(dir, 'xdg', 'xtransfer', 'config.yaml'), edit(VALID, 'domain: example.test', 'domain: xdg.test'))
    assert.equal((await loadConfig({env: {XTRANSFER_CONFIG: envPath, XDG_CONFIG_HOME: join(dir, 'xdg')}})).domain, 'env.test')
    const fromXdg = await loadConfig({env: {XDG_CONFIG_HOME: join(dir, 'xdg')}})
    assert.equal(fromXdg.domain, 'xdg.test')
    assert.equal(fromXdg.path, join(dir, 'xdg', 'xtransfer', 'config.yaml'))
  })

  test('a missing file: ConfigError naming the path and how to give one', async () => {
    const path = join(dir, 'missing.yaml')
    await assert.rejects(loadConfig({flag: path}), (error: Error) => {
      assert.ok(error instanceof ConfigError)
      assert.equal(error.exitCode, 2)
      assert.ok(error.message.includes(path), error.message)
      assert.match(error.message, /no config file/)
      assert.match(error.message, /--config/)
      assert.doesNotMatch(error.message, /\n/)
      return true
    })
  })

  test('an unreadable file: ConfigError naming the path and the reason', async () => {
    const path = join(dir, 'a-directory.yaml')
    await mkdir(path)
    await assert.rejects(loadConfig({flag: path}), (error: Error) => error instanceof ConfigError && error.message === `cannot read config ${path}: EISDIR`)
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.yaml')
      await writeFile(locked, VALID)
      await chmod(locked, 0o000)
      await assert.rejects(
        loadConfig({flag: locked}),
        (error: Error) => error instanceof ConfigError && error.message === `cannot read config ${locked}: EACCES`,
      )
    }
  })

  test('errors in the file name the file', async () => {
    const path = join(dir, 'bad.yaml')
    await writeFile(path, edit(VALID, 'type: ejabberd', 'type: prosody'))
    await assert.rejects(loadConfig({flag: path}), (error: Error) => error instanceof ConfigError && error.message.startsWith(`${path}: directory.type: `))
  })
})

test('directory durations need a unit', () => {
  for (const bad of ['timeout: 10', 'timeout: soon', 'retryFor: 0s']) {
    const text = edit(VALID, '  api: http://127.0.0.1:25281/api\n', `  api: http://127.0.0.1:25281/api\n  ${bad}\n`)
    assert.throws(
      () => parseConfig(text, PATH),
      (error: unknown) => error instanceof ConfigError && /directory\.(timeout|retryFor): .*not a duration/.test((error as Error).message),
      bad,
    )
  }
  const ok = parseConfig(edit(VALID, '  api: http://127.0.0.1:25281/api\n', '  api: http://127.0.0.1:25281/api\n  retryFor: 2m\n'), PATH)
  assert.equal(ok.directory.retryFor, '2m')
})

describe('config errors: every problem at once, unknown keys with a suggestion', () => {
  test('three problems in three places: one line naming all three', () => {
    let text = edit(VALID, '  service: xmpp://127.0.0.1:25221\n', '')
    text = edit(text, '127.0.0.1:25222', 'host:0')
    text = edit(text, 'directory:\n', 'directory:\n  timout: 5s\n')
    const message = assertRefused(
      text,
      /3 problems/,
      /admin\.service is missing/,
      /nodes\.node-2\.address: .*port "0"/,
      /directory: unknown key "timout" \(did you mean "timeout"\?\)/,
    )
    assert.equal(message.split('; ').length, 3, message)
  })

  test('unknown keys get the nearest known key of their own section', () => {
    assertRefused(edit(VALID, 'domain: example.test', 'domian: example.test'), /^[^;]*\(top level\): unknown key "domian" \(did you mean "domain"\?\)$/)
    assertRefused(
      edit(VALID, '  insecurePlain: true\n', '  insecurePlain: true\n  password: hunter2\n'),
      /admin: unknown key "password" \(did you mean "passwordFile"\?\)/,
    )
    assertRefused(edit(VALID, '{ address: 127.0.0.1:25222', '{ adress: 127.0.0.1:25222'), /nodes\.node-2: unknown key "adress" \(did you mean "address"\?\)/)
    assertRefused(edit(VALID, '  type: ejabberd\n', '  type: ejabberd\n  apiUrl: x\n'), /directory: unknown key "apiUrl" \(did you mean "api"\?\)/)
    // Nothing near: no suggestion.
    assertRefused(`${VALID}extra: 1\n`, /\(top level\): unknown key "extra"$/)
  })

  test('a misspelt required key is one problem, not also "missing"', () => {
    const message = assertRefused(edit(VALID, 'domain: example.test', 'domian: example.test'), /domian/)
    assert.doesNotMatch(message, /domain is missing/)
    assert.doesNotMatch(message, /problems/)
  })
})

describe('a missing config file says how to get one', () => {
  test('suggests xtransfer init; names XTRANSFER_CONFIG only when it is not what pointed there', async () => {
    const dir = testTempDir('xtransfer-noconfig-')
    const missing = join(dir, 'missing.yaml')
    const messageFor = async (source: Parameters<typeof loadConfig>[0]) => {
      try {
        await loadConfig(source)
      } catch (error) {
        assert.ok(error instanceof ConfigError)
        return error.message
      }
      return assert.fail('loaded')
    }
    const fromFlag = await messageFor({flag: missing, env: {}})
    assert.equal(fromFlag, `no config file at ${missing}: write one with xtransfer init --config ${missing}`)
    const fromEnv = await messageFor({env: {XTRANSFER_CONFIG: missing}})
    assert.equal(fromEnv, `no config file at ${missing} (XTRANSFER_CONFIG): write one with xtransfer init, or point XTRANSFER_CONFIG at yours`)
    const fromDefault = await messageFor({env: {XDG_CONFIG_HOME: dir}})
    assert.equal(
      fromDefault,
      `no config file at ${join(dir, 'xtransfer', 'config.yaml')}: write one with xtransfer init, or give --config PATH or set XTRANSFER_CONFIG`,
    )
  })
})
