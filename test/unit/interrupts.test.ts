import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {test} from 'node:test'

import {resumeHint, watchInterrupts} from '../../src/cli/interrupts.js'

test('SIGINT and SIGTERM alike: the first stops sending, any later one stops now; stop() lets go', () => {
  for (const [first, second] of [
    ['SIGINT', 'SIGINT'],
    ['SIGTERM', 'SIGINT'],
    ['SIGINT', 'SIGTERM'],
  ] as const) {
    const target = new EventEmitter()
    const calls: string[] = []
    const watch = watchInterrupts({first: (signal) => calls.push(`first ${signal}`), again: (signal) => calls.push(`again ${signal}`)}, target)
    target.emit(first)
    assert.deepEqual(calls, [`first ${first}`])
    target.emit(second)
    target.emit('SIGTERM')
    assert.deepEqual(calls, [`first ${first}`, `again ${second}`, 'again SIGTERM'])
    assert.equal(watch.count, 3)
    watch.stop()
    assert.equal(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM'), 0)
  }
})

test('the resume hint names the run', () => {
  assert.equal(resumeHint('xtransfer', '20261201T000000Z-drain-ab12'), 'resume with: xtransfer resume 20261201T000000Z-drain-ab12')
  assert.equal(resumeHint('xtransfer', undefined), 'interrupted before anything was sent')
})
