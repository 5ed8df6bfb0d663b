import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {outputChoice, outputFromArgv} from '../../src/cli/output.js'
import {UsageError} from '../../src/errors.js'

describe('-o and --json', () => {
  test('every spelling of -o in argv, up to --', () => {
    assert.equal(outputFromArgv(['nodes', '-o', 'json']), 'json')
    assert.equal(outputFromArgv(['-ojson']), 'json')
    assert.equal(outputFromArgv(['-o=ndjson']), 'ndjson')
    assert.equal(outputFromArgv(['--output', 'wide']), 'wide')
    assert.equal(outputFromArgv(['--output=name', '-c', 'x']), 'name')
    assert.equal(outputFromArgv(['--', '-o', 'json']), undefined)
    assert.equal(outputFromArgv(['-c', 'cfg']), undefined)
  })

  test('--json is -o json; asking for two formats is a usage error', () => {
    assert.equal(outputChoice({json: true}).format, 'json')
    assert.equal(outputChoice({json: true, output: 'json'}).format, 'json')
    assert.throws(() => outputChoice({json: true, output: 'wide'}), UsageError)
    const wide = outputChoice({output: 'wide', 'no-header': true}, {isTTY: false} as NodeJS.WriteStream)
    assert.deepEqual([wide.format, wide.view.wide, wide.view.header, wide.view.maxWidth], ['wide', true, false, undefined])
    const terminal = outputChoice({}, {isTTY: true, columns: 132, hasColors: () => false} as unknown as NodeJS.WriteStream)
    assert.equal(terminal.view.maxWidth, 132)
  })
})
