import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {acquireRunLock, LockedError} from '../../src/journal/run-lock.js'
import {EXIT} from '../../src/errors.js'
import {testTempDir} from '../support/temp-dir.js'

const base = {cluster: 'example.test', command: 'drain', host: 'ops-1'}
const stateDir = () => testTempDir('xtransfer-lock-')

test('a second run on the same node is refused (exit 2), naming the holder; released, it can go', () => {
  const dir = stateDir()
  const first = acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'A', pid: 101, isAlive: () => true})
  assert.throws(
    () => acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'B', pid: 102, isAlive: () => true}),
    (error: Error) => {
      assert.ok(error instanceof LockedError)
      assert.equal(error.exitCode, EXIT.usage)
      assert.match(error.message, /node-1 is being moved by run A \(drain, pid 101 on ops-1/)
      return true
    },
  )
  first.release()
  const second = acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'B', pid: 102, isAlive: () => true})
  assert.deepEqual(second.tookOver, [])
  second.release()
})

test('runs on different nodes do not wait for each other; several nodes are taken all or none', () => {
  const dir = stateDir()
  const one = acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'A', pid: 1, isAlive: () => true})
  const three = acquireRunLock({...base, stateDir: dir, nodes: ['node-3'], runId: 'B', pid: 2, isAlive: () => true})
  assert.throws(() => acquireRunLock({...base, stateDir: dir, nodes: ['node-2', 'node-3'], runId: 'C', pid: 3, isAlive: () => true}), LockedError)
  // node-2 was taken before node-3 refused: it must have been given back.
  const two = acquireRunLock({...base, stateDir: dir, nodes: ['node-2'], runId: 'D', pid: 4, isAlive: () => true})
  for (const lock of [one, three, two]) lock.release()
  assert.deepEqual(readdirSync(join(dir, 'locks', 'example.test')), [])
})

test('kill -9 leaves the lock behind: a dead pid on this host is taken over and said so', () => {
  const dir = stateDir()
  acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'A', pid: 101, isAlive: () => true})
  const lock = acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'B', pid: 102, isAlive: (pid) => pid !== 101})
  assert.deepEqual(
    lock.tookOver.map((holder) => [holder.runId, holder.pid]),
    [['A', 101]],
  )
  const path = join(dir, 'locks', 'example.test', 'node-1.lock')
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).runId, 'B')
  lock.release()
  assert.equal(existsSync(path), false)
})

test("another host's lock cannot be checked: refused, even when its pid is not alive here", () => {
  const dir = stateDir()
  acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'A', pid: 101, host: 'ops-2', isAlive: () => true})
  assert.throws(
    () => acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'B', pid: 102, isAlive: () => false}),
    /run A .*on ops-2.*remove .*node-1\.lock/,
  )
})

test('the real pid check: this process is alive, a pid that cannot exist is not', () => {
  const dir = stateDir()
  acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'A', pid: process.pid, host: undefined})
  assert.throws(() => acquireRunLock({...base, stateDir: dir, nodes: ['node-1'], runId: 'B', host: undefined}), LockedError)
  const dir2 = stateDir()
  acquireRunLock({...base, stateDir: dir2, nodes: ['node-1'], runId: 'A', pid: 2 ** 22 + 12345, host: undefined})
  const lock = acquireRunLock({...base, stateDir: dir2, nodes: ['node-1'], runId: 'B', host: undefined})
  assert.equal(lock.tookOver.length, 1)
  lock.release()
})
