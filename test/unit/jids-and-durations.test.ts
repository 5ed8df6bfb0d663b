import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {parseDurationOrThrow} from '../../src/cli/flags.js'
import {UsageError} from '../../src/errors.js'
import {parseUserJid} from '../../src/operations/jids.js'

describe('parseUserJid', () => {
  test("a bare JID: all of the user's sessions", () => {
    assert.deepEqual(parseUserJid('alice@example.org'), {bare: 'alice@example.org', resource: undefined})
  })

  test('a full JID: one session', () => {
    assert.deepEqual(parseUserJid('alice@example.org/phone'), {bare: 'alice@example.org', resource: 'phone'})
    assert.deepEqual(parseUserJid('alice@example.org/a/b'), {bare: 'alice@example.org', resource: 'a/b'}, 'a resource may hold "/"')
  })

  test('local part and domain are case-folded, the resource is not', () => {
    assert.deepEqual(parseUserJid('Alice@Example.ORG/Phone'), {bare: 'alice@example.org', resource: 'Phone'})
  })

  const malformed: Record<string, string> = {
    'no @': 'alice.example.org',
    'no @, with a resource': 'example.org/phone',
    'empty local part': '@example.org',
    'empty local part, with a resource': '@example.org/phone',
    'empty domain': 'alice@',
    'empty domain, with a resource': 'alice@/phone',
    'empty string': '',
    'space in the local part': 'alice smith@example.org',
    'space in the domain': 'alice@example org',
    'leading space': ' alice@example.org',
    'trailing space before the resource': 'alice@example.org /phone',
    'tab in the local part': 'alice\t@example.org',
    'two @': 'alice@bob@example.org',
    'two @, with a resource': 'alice@bob@example.org/phone',
  }
  for (const [name, text] of Object.entries(malformed)) {
    test(`malformed: ${name} → UsageError (exit 2) quoting it`, () => {
      assert.throws(
        () => parseUserJid(text),
        (error: Error) => {
          assert.ok(error instanceof UsageError, `got ${String(error)}`)
          assert.equal(error.exitCode, 2)
          assert.ok(error.message.startsWith(`malformed JID "${text}"`), error.message)
          assert.doesNotMatch(error.message.replace(text, ''), /\n/)
          return true
        },
      )
    })
  }
})

describe('parseDurationOrThrow', () => {
  test('durations with a unit, in milliseconds', () => {
    assert.equal(parseDurationOrThrow('60s'), 60_000)
    assert.equal(parseDurationOrThrow('2m'), 120_000)
    assert.equal(parseDurationOrThrow('500ms'), 500)
    assert.equal(parseDurationOrThrow('1.5s'), 1500)
    assert.equal(parseDurationOrThrow('1h'), 3_600_000)
  })

  test('a number without a unit is refused, saying a unit is needed', () => {
    for (const input of ['5', '60', '0.5', '']) assert.throws(() => parseDurationOrThrow(input), /needs a unit/)
  })

  test('text that is not a duration is refused', () => {
    for (const input of ['abc', 's', 'ms', 'sixty seconds']) assert.throws(() => parseDurationOrThrow(input), /is not a duration like 60s/)
  })

  test('zero and negative durations are refused', () => {
    for (const input of ['-1s', '0s', '0ms', '-2m']) assert.throws(() => parseDurationOrThrow(input), /is not a duration like 60s/)
  })

  test('the message quotes the input', () => {
    assert.throws(
      () => parseDurationOrThrow('abc'),
      (error: Error) => error.message.startsWith('"abc"'),
    )
  })
})
