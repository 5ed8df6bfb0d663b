import assert from 'node:assert/strict'
import {chmod, mkdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'

import {readPasswordFile, resolvePassword} from '../../src/config/password.js'
import {ConfigError, UsageError} from '../../src/errors.js'
import {testTempDir} from '../support/temp-dir.js'

const SECRET = 'correct-horse-battery-staple'

let dir: string
before(async () => {
  dir = testTempDir('xtransfer-password-')
})
after(async () => {
  await rm(dir, {recursive: true, force: true})
})

let files = 0
/** A new file holding `text`, with exactly `mode` (chmod after writing, so the umask does not matter). */
async function passwordFile(text: string, mode = 0o600): Promise<string> {
  const path = join(dir, `password-${++files}`)
  await writeFile(path, text)
  await chmod(path, mode)
  return path
}

/** A prompt that answers `answer` and counts how often it was asked. */
function prompt(answer: string) {
  const asked = {count: 0}
  return {asked, prompt: async () => (asked.count++, answer)}
}

/** `promise` rejects with a `type` error that is one line, never shows the secret, and matches every pattern. */
async function assertRejects(promise: Promise<unknown>, type: typeof ConfigError | typeof UsageError, ...patterns: Array<RegExp | string>) {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`)
    assert.equal((error as ConfigError).exitCode, 2)
    assert.doesNotMatch(error.message, /\n/)
    assert.ok(!error.message.includes(SECRET), `the message shows the password: ${error.message}`)
    for (const pattern of patterns) {
      if (typeof pattern === 'string') assert.ok(error.message.includes(pattern), `"${error.message}" lacks "${pattern}"`)
      else assert.match(error.message, pattern)
    }
    return true
  })
}

describe('resolvePassword: where the password comes from', () => {
  test('--password-file wins over everything', async () => {
    const flagFile = await passwordFile('from-flag\n')
    const configFile = await passwordFile('from-config\n')
    const {asked, prompt: ask} = prompt('from-prompt')
    assert.equal(await resolvePassword({fileFlag: flagFile, env: {XTRANSFER_PASSWORD: 'from-env'}, configFile, prompt: ask}), 'from-flag')
    assert.equal(asked.count, 0)
  })

  test('then XTRANSFER_PASSWORD', async () => {
    const configFile = await passwordFile('from-config\n')
    const {asked, prompt: ask} = prompt('from-prompt')
    assert.equal(await resolvePassword({env: {XTRANSFER_PASSWORD: 'from-env'}, configFile, prompt: ask}), 'from-env')
    assert.equal(asked.count, 0)
  })

  test('then admin.passwordFile from the config', async () => {
    const configFile = await passwordFile('from-config\n')
    const {asked, prompt: ask} = prompt('from-prompt')
    assert.equal(await resolvePassword({env: {}, configFile, prompt: ask}), 'from-config')
    assert.equal(asked.count, 0)
  })

  test('then the prompt', async () => {
    const {asked, prompt: ask} = prompt('from-prompt')
    assert.equal(await resolvePassword({env: {}, prompt: ask}), 'from-prompt')
    assert.equal(asked.count, 1)
  })

  test('an empty XTRANSFER_PASSWORD does not count', async () => {
    const {prompt: ask} = prompt('from-prompt')
    assert.equal(await resolvePassword({env: {XTRANSFER_PASSWORD: ''}, prompt: ask}), 'from-prompt')
  })

  test('a bad file named by the flag is an error, not a reason to fall back', async () => {
    const loose = await passwordFile(`${SECRET}\n`, 0o644)
    await assertRejects(resolvePassword({fileFlag: loose, env: {XTRANSFER_PASSWORD: 'from-env'}}), ConfigError, 'chmod 600')
  })

  test('no source and no prompt: UsageError that says how to give one', async () => {
    await assertRejects(resolvePassword({env: {}}), UsageError, 'XTRANSFER_PASSWORD', '--password-file')
  })

  test('an empty answer to the prompt: UsageError', async () => {
    await assertRejects(resolvePassword({env: {}, prompt: async () => ''}), UsageError, /no password/)
  })
})

describe('readPasswordFile: like an ssh key', () => {
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o601]) {
    test(`mode ${mode.toString(8)} is refused, without showing the password`, async () => {
      const path = await passwordFile(`${SECRET}\n`, mode)
      await assertRejects(readPasswordFile(path), ConfigError, path, `chmod 600 ${path}`, `mode ${mode.toString(8)}`)
    })
  }

  test('a loose admin.passwordFile is refused too', async () => {
    const configFile = await passwordFile(`${SECRET}\n`, 0o640)
    await assertRejects(resolvePassword({env: {}, configFile}), ConfigError, configFile, 'chmod 600')
  })

  test('mode 600 (and 400, 700: nobody but the owner) is accepted', async () => {
    for (const mode of [0o600, 0o400, 0o700]) assert.equal(await readPasswordFile(await passwordFile(SECRET, mode)), SECRET)
  })

  test('one trailing newline is stripped, and only one', async () => {
    assert.equal(await readPasswordFile(await passwordFile(`${SECRET}\n`)), SECRET)
    assert.equal(await readPasswordFile(await passwordFile(`${SECRET}\r\n`)), SECRET)
    assert.equal(await readPasswordFile(await passwordFile(`${SECRET}\n\n`)), `${SECRET}\n`)
    assert.equal(await readPasswordFile(await passwordFile(` ${SECRET} \n`)), ` ${SECRET} `)
  })

  test('an empty file is refused', async () => {
    for (const text of ['', '\n', '\r\n']) {
      const path = await passwordFile(text)
      await assertRejects(readPasswordFile(path), ConfigError, path, /is empty/)
    }
  })

  test('a missing file: the path and the reason', async () => {
    const path = join(dir, 'no-such-file')
    await assertRejects(readPasswordFile(path), ConfigError, `cannot read password file ${path}: ENOENT`)
  })

  test('an unreadable file: the path and the reason, no password', async () => {
    const path = join(dir, 'a-directory')
    await mkdir(path, {mode: 0o700})
    await chmod(path, 0o700)
    await assertRejects(readPasswordFile(path), ConfigError, `cannot read password file ${path}: EISDIR`)
    if (process.getuid?.() !== 0) {
      const locked = await passwordFile(`${SECRET}\n`, 0o200)
      await assertRejects(readPasswordFile(locked), ConfigError, `cannot read password file ${locked}: EACCES`)
    }
  })
})
