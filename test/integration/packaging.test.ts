// What `npm pack` ships, and that what it ships runs on its own (needs `npm run build` first).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {test} from 'node:test'
import {testTempDir} from '../support/temp-dir.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

test('npm pack ships the built CLI, its manifest, docs and LICENSE, and not bin/dev.js (it needs tsx) nor sources or tests', () => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}),
  ) as Array<{files: Array<{path: string}>}>
  const files = new Set(pack.files.map((file) => file.path))
  for (const needed of [
    'bin/run.js',
    'LICENSE',
    'README.md',
    'package.json',
    'oclif.manifest.json',
    'dist/commands/drain.js',
    'dist/hooks/command-not-found.js',
    'dist/cli/help.js',
    'docs/report.schema.json',
    'docs/deploy/kubernetes.md',
  ]) {
    assert.ok(files.has(needed), `${needed} is not in the package`)
  }
  assert.ok(!files.has('bin/dev.js'), 'bin/dev.js is in the package')
  for (const file of files) assert.doesNotMatch(file, /^(src|test|bench)\/|\.ts$(?<!\.d\.ts$)/, file)
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/)
  assert.equal(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).license, 'MIT')
})

test('the packed CLI runs from the tarball alone (with its dependencies): help, a command, the not-found hook', () => {
  const dir = testTempDir('xt-pack-')
  const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .trim()
    .split('\n')
    .at(-1)!
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir])
  // The dependencies as npm would install them; the package's own files come from the tarball only.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'package', 'node_modules'))
  const run = (...args: string[]) => {
    try {
      return {
        code: 0,
        out: execFileSync(process.execPath, [join(dir, 'package', 'bin', 'run.js'), ...args], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {...process.env, NO_COLOR: '1'},
        }),
      }
    } catch (error) {
      const failed = error as {status: number; stderr: string}
      return {code: failed.status, out: failed.stderr}
    }
  }
  assert.match(run('help', 'drain').out, /USAGE\n {2}\$ xtransfer drain \[NODE\]/)
  assert.match(run('--version').out, /^xtransfer\/\d+\.\d+\.\d+ /)
  const unknown = run('dran')
  assert.equal(unknown.code, 2)
  assert.match(unknown.out, /did you mean "drain"/)
})
