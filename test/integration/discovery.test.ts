// Help, version, completion and did-you-mean, as an operator meets them: the built CLI,
// no lab needed (nothing here reads a config or logs in).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import Ajv2020 from 'ajv/dist/2020.js'

import {runCli} from './cli.js'
import {testTempDir} from '../support/temp-dir.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string}
const ajv = new Ajv2020.default({strict: true, allErrors: true})
const validateError = ajv.compile(JSON.parse(readFileSync(new URL('../../docs/error.schema.json', import.meta.url), 'utf8')))
const NO_CONFIG = '/nonexistent/xtransfer.yaml'

function oneErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`)
  assert.match(lines[0], /^xtransfer: /)
  return lines[0]
}

test('help, help COMMAND and -h show usage and exit 0', async () => {
  const root = await runCli(['help'])
  assert.equal(root.code, 0, root.stderr)
  for (const command of ['drain', 'move', 'nodes', 'init', 'resume', 'version', 'autocomplete'])
    assert.match(root.stdout, new RegExp(`^  ${command}\\b`, 'm'), command)
  for (const args of [
    ['help', 'drain'],
    ['drain', '-h'],
    ['drain', '--help'],
    ['drain', 'node-1', '-h'],
  ]) {
    const run = await runCli(args)
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`)
    assert.match(run.stdout, /^USAGE\n {2}\$ xtransfer drain \[NODE\]/m, args.join(' '))
    assert.match(run.stdout, /--dry-run/)
  }
})

test('-v, --version and version print the version and exit 0', async () => {
  for (const args of [['-v'], ['--version'], ['version']]) {
    const run = await runCli(args)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`^xtransfer/${pkg.version.replace(/\./g, '\\.')} \\S+ node-v\\d+`), args.join(' '))
  }
})

test('an unknown command: one line with a did-you-mean, exit 2; --json gives the error object', async () => {
  const run = await runCli(['dran', 'node-1'])
  assert.equal(run.code, 2)
  assert.equal(oneErrorLine(run.stderr), 'xtransfer: unknown command "dran" (did you mean "drain"?): xtransfer help lists the commands')
  assert.equal(run.stdout, '')
  const help = await runCli(['help', 'sesions'])
  assert.equal(help.code, 2)
  assert.match(oneErrorLine(help.stderr), /unknown command "sesions" \(did you mean "sessions"\?\)/)
  const json = await runCli(['dran', 'node-1', '--json'])
  assert.equal(json.code, 2)
  const error = json.json as {error: {message: string; exitCode: number}}
  assert.ok(validateError(json.json), ajv.errorsText(validateError.errors))
  assert.match(error.error.message, /did you mean "drain"/)
  assert.equal(error.error.exitCode, 2)
  assert.equal(json.stderr, '')
})

test('an unknown flag gets a suggestion, exit 2, nothing read or sent', async () => {
  const cases: Array<[string[], string]> = [
    [['drain', 'node-1', '--dryrun', '-c', NO_CONFIG], 'xtransfer: unknown flag --dryrun (did you mean --dry-run?)'],
    [['move', 'a@example.test', '--to', 'node-2', '--ack-timout', '5s', '-c', NO_CONFIG], 'xtransfer: unknown flag --ack-timout (did you mean --ack-timeout?)'],
    [['sessions', '--nod', 'node-1', '-c', NO_CONFIG], 'xtransfer: unknown flag --nod (did you mean --node?)'],
  ]
  for (const [args, line] of cases) {
    const run = await runCli(args)
    assert.equal(run.code, 2, run.stderr)
    assert.equal(oneErrorLine(run.stderr), line)
  }
})

test('a flag value that could be a secret is never echoed', async () => {
  const secret = 'hunter2-Secret'
  const cases = [
    ['nodes', `--password=${secret}`, '-c', NO_CONFIG],
    ['drain', 'node-1', `--passwd=${secret}`, '-c', NO_CONFIG],
    ['nodes', `-p${secret}`, '-c', NO_CONFIG],
    ['move', 'a@example.test', '--to', 'node-2', `--admin-password=${secret}`, '-c', NO_CONFIG],
    [`--password=${secret}`],
    ['nodes', `--password=${secret}`, '--json', '-c', NO_CONFIG],
  ]
  for (const args of cases) {
    const run = await runCli(args)
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
    assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), `echoed by ${args.join(' ')}:\n${run.stderr}${run.stdout}`)
    assert.ok(!run.stderr.includes('hunter2') && !run.stdout.includes('hunter2'))
  }
  const password = await runCli(['nodes', `--password=${secret}`, '-c', NO_CONFIG])
  assert.match(password.stderr, /unknown flag --password \(a password is never taken from a flag: use --password-file PATH or XTRANSFER_PASSWORD\)/)
})

test('shell completion (bash): the generated script completes commands and their flags in a real bash', async () => {
  const cacheDir = testTempDir('xt-complete-')
  const env = {XTRANSFER_CACHE_DIR: cacheDir}
  const bash = await runCli(['autocomplete', 'bash'], {env})
  assert.equal(bash.code, 0, bash.stderr)
  assert.match(bash.stdout, /xtransfer autocomplete script bash/)
  const script = await runCli(['autocomplete', 'script', 'bash'], {env})
  const setup = /XTRANSFER_AC_BASH_SETUP_PATH=(\S+)/.exec(script.stdout)?.[1]
  assert.ok(setup, script.stdout)
  const complete = (words: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `source ${setup}; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _xtransfer_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      {encoding: 'utf8'},
    )
      .trim()
      .split('\n')
  assert.deepEqual(complete(['xtransfer', 'dra']), ['drain'])
  assert.deepEqual(complete(['xtransfer', 're']).sort(), ['rebalance', 'rehome', 'report', 'resume'])
  assert.deepEqual(complete(['xtransfer', 'drain', '--dry']), ['--dry-run'])
  const zsh = await runCli(['autocomplete', 'zsh'], {env})
  assert.equal(zsh.code, 0, zsh.stderr)
  const zshFunctions = readFileSync(join(cacheDir, 'autocomplete', 'functions', 'zsh', '_xtransfer'), 'utf8')
  assert.match(zshFunctions, /drain/)
  assert.match(zshFunctions, /--dry-run/)
})

test("help speaks the operator's language: every command has a one-line summary and no project jargon", () => {
  const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
    commands: Record<string, {summary?: string; description?: string; flags: Record<string, {description?: string}>}>
  }
  assert.ok(Object.keys(manifest.commands).length >= 12)
  for (const [id, command] of Object.entries(manifest.commands)) {
    assert.ok(command.summary && command.summary.length <= 60 && !command.summary.includes('\n'), `${id}: summary "${command.summary}"`)
    const texts = [command.summary, command.description, ...Object.values(command.flags).map((flag) => flag.description)].join('\n')
    assert.doesNotMatch(texts, /\bseed\b|scenario \d|issue \d+/i, id)
  }
})
