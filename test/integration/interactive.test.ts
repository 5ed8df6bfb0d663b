import assert from 'node:assert/strict'
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, test} from 'node:test'

import {runCli} from './cli.js'
import {type LabEnv, requireLab, userSessions} from './lab-env.js'
import {Terminal, stopTerminals} from './terminal.js'
import {fleetOn, labConfigPath, users, variantConfig, waitForEmptyCluster} from './transfer-fixtures.js'
import {testTempDir} from '../support/temp-dir.js'

let lab: LabEnv

before(async () => {
  lab = await requireLab()
  await waitForEmptyCluster(lab)
})

after(() => stopTerminals())

test('on a terminal, drain asks for confirmation with the plan, shows progress, then the report', async () => {
  const fleet = await fleetOn(lab, 1, users(11, 20))
  const term = Terminal.start(['drain', 'node-1', '--config', labConfigPath(lab), '--rate', '10'])
  try {
    const question = await term.waitFor(/Send the transfer packets\?/)
    // One line: where they go, about how long, and what the estimate rests on.
    assert.match(question, /^\? drain node-1: 20 sessions → node-2 10, node-3 10, about 2s at 10\/s \(--rate 10\)$/m)
    term.type('y')
    term.press('Enter')
    // While sending: the pace and the ETA; once all are sent: the wait for the last ones.
    await term.waitFor(
      /^\[[█▒░]{10,40}\] \d+\/20 {2}moved \d+ {2}(pace [\d.]+\/s \(max 10\/s\) {2}ETA (\d+s|-)|all sent \(max 10\/s\) {2}waiting for \d+ to land)$/m,
      10_000,
    )
    assert.equal(await term.exitCode(), 0)
    assert.match(term.screen(), /20 selected: 20 moved/)
  } finally {
    term.close()
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('declining the confirmation sends nothing (exit 10, as the README documents)', async () => {
  const fleet = await fleetOn(lab, 1, users(31, 3))
  const term = Terminal.start(['drain', 'node-1', '--config', labConfigPath(lab)])
  try {
    await term.waitFor(/Send the transfer packets\?/)
    term.type('n')
    term.press('Enter')
    assert.equal(await term.exitCode(), 10)
    assert.match(term.screen(), /cancelled: nothing sent/)
    assert.equal(fleet.totals().packetsReceived, 0)
  } finally {
    term.close()
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('Ctrl-C at any prompt (password, node picker, confirmation) exits 130 quietly, nothing sent', async () => {
  const fleet = await fleetOn(lab, 1, users(34, 2))
  const prompts: Array<[string[], RegExp]> = [
    [['nodes', '--config', variantConfig(lab, (yaml) => yaml.replace(/\s*passwordFile: .*/, ''))], /Password for admin@example\.test:/],
    [['drain', '--config', labConfigPath(lab)], /Which node do you want to drain\?/],
    [['drain', 'node-1', '--config', labConfigPath(lab)], /Send the transfer packets\?/],
  ]
  try {
    for (const [args, question] of prompts) {
      const term = Terminal.start(args)
      try {
        await term.waitFor(question)
        term.press('C-c')
        assert.equal(await term.exitCode(), 130, `${args[0]}: ${term.screen()}`)
        const screen = term.screen()
        assert.doesNotMatch(screen, /force closed|ExitPromptError|Error|^\s+at /m, screen)
      } finally {
        term.close()
      }
    }
    assert.equal(fleet.totals().packetsReceived, 0)
  } finally {
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('without a password source, a terminal asks for it and never shows it', async () => {
  const config = variantConfig(lab, (yaml) => yaml.replace(/\s*passwordFile: .*/, ''))
  const term = Terminal.start(['nodes', '--config', config])
  try {
    await term.waitFor(/Password for admin@example\.test:/)
    term.type(lab.adminPassword)
    term.press('Enter')
    assert.equal(await term.exitCode(), 0)
    const screen = term.screen()
    assert.match(screen, /node-1 .* up$/m)
    assert.ok(!screen.includes(lab.adminPassword), 'the password is on the screen')
  } finally {
    term.close()
  }
})

test('move with no JID: pick sessions from a searchable list that keeps its filter and shows what is picked, then the target node', async () => {
  const [alice, bob] = users(41, 2)
  const fleet = await fleetOn(lab, 1, [alice, bob])
  const term = Terminal.start(['move', '--config', labConfigPath(lab), '--yes'])
  try {
    await term.waitFor(/Sessions to move/)
    assert.match(term.screen(), /picked \(0\): none yet/)
    term.type(alice)
    await term.waitFor(new RegExp(`❯ \\[ \\] ${alice}@`))
    term.press('Enter') // toggles the highlighted session: the first match
    const screen = await term.waitFor(new RegExp(`picked \\(1\\): ${alice}@${lab.domain.replace('.', '\\.')}/rehearsal`))
    assert.match(screen, new RegExp(`^\\? Sessions to move ${alice}$`, 'm'), 'the filter is kept after a toggle')
    assert.match(screen, new RegExp(`\\[x\\] ${alice}@`))
    assert.ok(!screen.includes(bob), 'bob is filtered out and not picked')
    term.press('Up', 'Enter') // the first row: done
    await term.waitFor(/Move them to/)
    term.press('Down', 'Enter') // node-2
    assert.equal(await term.exitCode(), 0)
    assert.equal((await userSessions(lab, alice))[0].node, lab.nodes[1].name)
    assert.equal((await userSessions(lab, bob))[0].node, lab.nodes[0].name, 'bob was not picked')
  } finally {
    term.close()
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('Escape in the session picker cancels: nothing sent, exit 10', async () => {
  const fleet = await fleetOn(lab, 1, users(43, 1))
  const term = Terminal.start(['move', '--config', labConfigPath(lab), '--yes'])
  try {
    await term.waitFor(/Sessions to move/)
    term.type('user')
    await term.waitFor(/❯ \[ \] user0043@/)
    term.press('Enter')
    await term.waitFor(/picked \(1\)/)
    term.press('Escape')
    assert.equal(await term.exitCode(), 10)
    assert.match(term.screen(), /cancelled: nothing sent/)
    assert.equal(fleet.totals().packetsReceived, 0)
  } finally {
    term.close()
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('drain with no NODE asks which node, showing session counts', async () => {
  const fleet = await fleetOn(lab, 2, users(51, 2))
  const term = Terminal.start(['drain', '--config', labConfigPath(lab), '--dry-run'])
  try {
    const screen = await term.waitFor(/Which node do you want to drain\?/)
    assert.match(screen, new RegExp(`node-2 +127\\.0\\.0\\.1:${lab.nodes[1].c2sPort} +\\(2 sessions\\)`))
    term.press('Down', 'Enter')
    assert.equal(await term.exitCode(), 0)
    assert.match(term.screen(), /drain plan: 2 sessions/)
  } finally {
    term.close()
    await fleet.stop()
    await waitForEmptyCluster(lab)
  }
})

test('without a terminal, the same commands fail fast naming the missing argument', async () => {
  const config = labConfigPath(lab)
  const drain = await runCli(['drain', '--config', config, '--yes'])
  assert.equal(drain.code, 2)
  assert.match(drain.stderr, /missing argument NODE/)
  const move = await runCli(['move', '--config', config, '--yes'])
  assert.equal(move.code, 2)
  assert.match(move.stderr, /missing argument JID/)
  const moveTo = await runCli(['move', 'a@example.test', '--config', config, '--yes'])
  assert.equal(moveTo.code, 2)
  assert.match(moveTo.stderr, /missing --to/)
  const init = await runCli(['init', '--config', join(testTempDir('xt-'), 'c.yaml')])
  assert.equal(init.code, 2)
  assert.match(init.stderr, /run it on a terminal/)
})

test('init writes a working config by asking: a wrong password is typed again, addresses are proposed, the password stored only when asked (mode 600)', async () => {
  const dir = testTempDir('xtransfer-init-')
  const path = join(dir, 'config.yaml')
  const term = Terminal.start(['init', '--config', path])
  // Only the question being asked starts with "?" (answered ones show a check mark).
  const answer = async (question: RegExp, text: string, clear = false) => {
    await term.waitFor(new RegExp(`^\\? ${question.source}`, 'm'))
    if (clear) term.press('C-u')
    if (text) term.type(text)
    term.press('Enter')
  }
  try {
    await answer(/XMPP domain/, lab.domain)
    await answer(/Admin JID/, '')
    await answer(/Where the admin logs in/, lab.nodes[0].service, true)
    await answer(/Allow a login without TLS/, 'y')
    await answer(/How are sessions listed\?/, '') // the first choice: ejabberd's HTTP API
    await answer(/ejabberd HTTP API URL/, lab.nodes[0].api, true)
    await answer(/Password for admin@example\.test/, 'not-the-password')
    await term.waitFor(/✖ the admin login failed: .*wrong password or JID/)
    await answer(/Type the password again\?/, '')
    await answer(/Password for admin@example\.test/, lab.adminPassword)
    await term.waitFor(/the directory works/)
    assert.match(term.screen(), /✔ the admin login works/)
    for (const node of lab.nodes) {
      await answer(new RegExp(`Name for ${node.name.replace('.', '\\.')}`), '')
      const question = await term.waitFor(new RegExp(`^\\? Address clients reconnect to for node-${node.index}.*$`, 'm'))
      if (node.index === 1) {
        // The admin's session is on node 1: its address is the admin service's, proposed.
        assert.match(question, new RegExp(`for node-1 .*\\(127\\.0\\.0\\.1:${node.c2sPort}\\)`))
        await answer(/Address clients reconnect to for node-1/, '')
      } else {
        assert.match(question, new RegExp(`for node-${node.index} .*\\(localhost:${lab.nodes[0].c2sPort}\\)`), 'the host of its Erlang name, same port')
        await answer(new RegExp(`Address clients reconnect to for node-${node.index}`), `127.0.0.1:${node.c2sPort}`, true)
      }
    }
    await answer(/Store the admin password/, 'y')
    assert.equal(await term.exitCode(), 0)
    assert.equal(statSync(join(dir, 'admin.password')).mode & 0o777, 0o600)
    assert.ok(!readFileSync(path, 'utf8').includes(lab.adminPassword))
    assert.ok(!term.screen().includes(lab.adminPassword), 'the password is on the screen')
    const nodes = await runCli(['nodes', '--json', '--config', path])
    assert.equal(nodes.code, 0, nodes.stderr)
    assert.equal(nodes.json.nodes.filter((node: {seen: boolean}) => node.seen).length, 3)
    assert.deepEqual(
      nodes.json.nodes.map((node: {address: string}) => node.address),
      lab.nodes.map((node) => `127.0.0.1:${node.c2sPort}`),
    )
  } finally {
    term.close()
  }
})
