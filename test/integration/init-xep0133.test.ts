// init for a cluster listed with XEP-0133 ad-hoc commands, on the Prosody lab
// (test/lab/prosody-start.sh): the operator names each node, init tests every one.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, test} from 'node:test'

import {runCli} from './cli.js'
import {Terminal, stopTerminals} from './terminal.js'
import {testTempDir} from '../support/temp-dir.js'

const LAB_DIR = process.env.XTRANSFER_PROSODY_DIR ?? '/tmp/xtransfer-prosody'

function prosodyLab() {
  let text: string
  try {
    text = readFileSync(join(LAB_DIR, 'lab.env'), 'utf8')
  } catch {
    throw new Error(`prosody lab not running: run test/lab/prosody-start.sh (no ${LAB_DIR}/lab.env)`)
  }
  const env = new Map(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  )
  const need = (key: string) => env.get(key) || assert.fail(`${LAB_DIR}/lab.env has no ${key}`)
  return {
    domain: need('LAB_DOMAIN'),
    adminPassword: readFileSync(need('LAB_ADMIN_PASSWORD_FILE'), 'utf8').trim(),
    nodes: [1, 2].map((i) => ({name: need(`LAB_NODE_${i}`), c2s: Number(need(`LAB_C2S_${i}`)), adminPort: Number(need(`LAB_ADMIN_PORT_${i}`))})),
  }
}

after(() => stopTerminals())

test('init with the xep0133 directory: asks each node (address and admin service proposed), tests them all, writes a config that works', async () => {
  const lab = prosodyLab()
  const path = join(testTempDir('xtransfer-init-'), 'config.yaml')
  const term = Terminal.start(['init', '--config', path])
  const answer = async (question: RegExp, text: string, clear = false) => {
    const screen = await term.waitFor(new RegExp(`^\\? ${question.source}`, 'm'))
    if (clear) term.press('C-u')
    if (text) term.type(text)
    term.press('Enter')
    return screen
  }
  try {
    await answer(/XMPP domain/, lab.domain)
    await answer(/Admin JID/, '')
    await answer(/Where the admin logs in/, `xmpp://127.0.0.1:${lab.nodes[0].c2s}`, true)
    await answer(/Allow a login without TLS/, 'y')
    await term.waitFor(/^\? How are sessions listed\?/m)
    term.press('Down', 'Enter')
    await answer(/Password for admin@/, lab.adminPassword)
    await term.waitFor(/✔ the admin login works/)
    for (const [index, node] of lab.nodes.entries()) {
      await answer(new RegExp(`Name of node ${index + 1}`), node.name, true)
      const address = await answer(new RegExp(`Address clients reconnect to for ${node.name}`), index === 0 ? '' : `127.0.0.1:${node.c2s}`, index > 0)
      if (index === 0) assert.match(address, new RegExp(`\\(127\\.0\\.0\\.1:${node.c2s}\\)`), 'the first node is proposed where the admin logs in')
      const service = await answer(new RegExp(`Where the admin logs in to ${node.name}`), `xmpp://127.0.0.1:${node.adminPort}`, true)
      assert.match(service, new RegExp(`\\(xmpp://127\\.0\\.0\\.1:${node.c2s}\\)`))
      await answer(/Add another node\?/, '') // yes after the first, no after the second
    }
    await term.waitFor(/2 of 2 node\(s\) answered: p-1, p-2/)
    assert.match(term.screen(), /✔ the directory works/)
    await answer(/Store the admin password/, 'n')
    assert.equal(await term.exitCode(), 0)
    const written = readFileSync(path, 'utf8')
    assert.match(written, /type: xep0133/)
    assert.doesNotMatch(written, /api:/)
    const nodes = await runCli(['nodes', '--json', '--config', path], {env: {XTRANSFER_PASSWORD: lab.adminPassword}})
    assert.equal(nodes.code, 0, nodes.stderr)
    assert.deepEqual(
      nodes.json.nodes.map((node: {name: string; seen: boolean}) => [node.name, node.seen]),
      [
        ['p-1', true],
        ['p-2', true],
      ],
    )
  } finally {
    term.close()
  }
})
