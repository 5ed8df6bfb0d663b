import assert from 'node:assert/strict'
import {test} from 'node:test'

import {closest, didYouMean} from '../../src/did-you-mean.js'

const COMMANDS = ['drain', 'init', 'move', 'nodes', 'probe', 'rebalance', 'rehome', 'report', 'resume', 'runs', 'sessions', 'simulate']

test('typos, swaps and prefixes find the name; far-off words find nothing', () => {
  assert.equal(closest('dran', COMMANDS), 'drain')
  assert.equal(closest('sesions', COMMANDS), 'sessions')
  assert.equal(closest('nodse', COMMANDS), 'nodes')
  assert.equal(closest('domian', ['domain', 'admin', 'directory', 'nodes', 'placement']), 'domain')
  assert.equal(closest('--dryrun', ['--dry-run', '--rate', '--to']), '--dry-run')
  assert.equal(closest('--password', ['--password-file', '--config', '--debug']), '--password-file')
  assert.equal(closest('NODE-2', ['node-1', 'node-2']), 'node-2')
  assert.equal(closest('apiUrl', ['type', 'api', 'timeout', 'retryFor']), 'api')
  assert.equal(closest('kubectl', COMMANDS), undefined)
  assert.equal(closest('x', COMMANDS), undefined)
})

test('didYouMean says it in one parenthesis, or says nothing', () => {
  assert.equal(didYouMean('dran', COMMANDS), ' (did you mean "drain"?)')
  assert.equal(didYouMean('--dryrun', ['--dry-run'], ''), ' (did you mean --dry-run?)')
  assert.equal(didYouMean('zzz', COMMANDS), '')
})
