import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {isCI, useColor} from '../../src/render/style.js'

describe('colour: Node’s hasColors() on a terminal, never in CI, on a pipe only when forced', () => {
  /** A terminal whose hasColors() answers as Node's does for that environment. */
  const terminal = {isTTY: true, hasColors: (env?: object) => hasColorsLikeNode(env as NodeJS.ProcessEnv)}
  const pipe = {isTTY: false}

  test('a terminal: colour unless NO_COLOR or TERM=dumb; FORCE_COLOR=0 turns it off', () => {
    assert.equal(useColor(terminal, {TERM: 'xterm-256color'}), true)
    assert.equal(useColor(terminal, {TERM: 'xterm-256color', NO_COLOR: '1'}), false)
    assert.equal(useColor(terminal, {TERM: 'dumb'}), false)
    assert.equal(useColor(terminal, {TERM: 'xterm', FORCE_COLOR: '0'}), false)
  })

  test('CI: no colour on its pseudo-terminal unless FORCE_COLOR asks; CI=false is no CI', () => {
    assert.equal(useColor(terminal, {TERM: 'xterm', CI: 'true'}), false)
    assert.equal(useColor(terminal, {TERM: 'xterm', CI: 'true', FORCE_COLOR: '1'}), true)
    assert.equal(useColor(terminal, {TERM: 'xterm', CI: 'false'}), true)
    assert.deepEqual(
      [isCI({CI: '1'}), isCI({CI: 'true'}), isCI({CI: ''}), isCI({CI: 'false'}), isCI({CI: '0'}), isCI({})],
      [true, true, true, false, false, false],
    )
  })

  test('a pipe: no colour, unless FORCE_COLOR (not 0 or false)', () => {
    assert.equal(useColor(pipe, {TERM: 'xterm-256color'}), false)
    assert.equal(useColor(pipe, {FORCE_COLOR: '1'}), true)
    assert.equal(useColor(pipe, {FORCE_COLOR: ''}), true)
    assert.equal(useColor(pipe, {FORCE_COLOR: '0'}), false)
    assert.equal(useColor(pipe, {FORCE_COLOR: 'false'}), false)
  })

  test('with a real terminal stream object, the decision is the stream’s own hasColors()', async () => {
    const {WriteStream} = await import('node:tty')
    const calls: unknown[] = []
    const stream = {isTTY: true, hasColors: (env?: object) => (calls.push(env), WriteStream.prototype.hasColors.call({}, env as never))}
    assert.equal(useColor(stream, {TERM: 'xterm-256color'}), true)
    assert.equal(useColor(stream, {TERM: 'xterm-256color', NO_COLOR: ''}), false)
    assert.equal(calls.length, 2)
  })
})

/** Node 20's getColorDepth, as far as these tests need it (lib/internal/tty.js). */
function hasColorsLikeNode(env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR)
  if (env.NO_COLOR !== undefined || env.TERM === 'dumb') return false
  return true
}
