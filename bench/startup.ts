// Start-up of `xtransfer drain`, from the spawn to the first packet, measured as a whole
// process on a running lab (issue 14 §2: ≤ 0.5 s). A fleet of STARTUP_USERS followers sits on
// node-1; each run drains the node that holds most of them (--no-cordon, so the next run can
// drain it back), with a preload that marks the steps from outside (bench/preload/startup-marks.ts).
// Also times Node alone and `xtransfer --version` (oclif alone) for reference.
//   XTRANSFER_LAB_DIR=… NODE_EXTRA_CA_CERTS=…/ca.crt npm run bench:startup
// Settings: STARTUP_RUNS (10), STARTUP_USERS (20), STARTUP_ROOT (the xtransfer tree whose
// built bin/run.js runs: default this one; point it at another build to compare), STARTUP_PROFILE=1
// (one more run under --cpu-prof: CPU self time by package until the first packet), STARTUP_OUT
// (write the figures as JSON there).
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import ts from 'typescript'

import {startFleet} from '../src/fleet/index.js'
import {labInfo, userName} from './lab/lab-info.js'
import {cpuSelfByPackage} from './startup/cpu-by-package.js'
import {type StartupMarks, type StartupPhases, startupPhases} from './startup/marks.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(process.env.STARTUP_ROOT ?? join(here, '..'))
const runs = positive('STARTUP_RUNS', 10)
const users = positive('STARTUP_USERS', 20)
const labDir = process.env.XTRANSFER_LAB_DIR
if (!labDir) fail('set XTRANSFER_LAB_DIR to a running lab (test/lab/start.sh)')
if (!process.env.NODE_EXTRA_CA_CERTS) fail('set NODE_EXTRA_CA_CERTS to the lab CA (the fleet and the CLI log in over STARTTLS)')
if (!existsSync(join(root, 'dist', 'commands', 'drain.js'))) fail(`no build in ${root}: run npm run build there first`)

const lab = labInfo(labDir!)
const work = mkdtempSync(join(tmpdir(), 'xtransfer-startup-'))
const preload = transpilePreload(work)
const apiPorts = lab.nodes.map((node) => Number(new URL(node.api).port))

const fleet = await startFleet({
  service: `xmpp://127.0.0.1:${lab.nodes[0].c2s}`,
  domain: lab.domain,
  users: Array.from({length: users}, (_, i) => userName(i + 1)),
  password: lab.userPassword,
  trustedAdmins: [lab.adminJid],
})
try {
  const node = reference('node', [process.execPath, '-e', '0'])
  const version = reference('xtransfer --version', [process.execPath, join(root, 'bin', 'run.js'), '--version'])
  const phases: StartupPhases[] = []
  for (let i = 0; i < runs; i++) phases.push(await drainOnce(i))
  const profile = process.env.STARTUP_PROFILE === '1' ? await profiledRun() : undefined
  const figures = {
    root,
    at: new Date().toISOString(),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3),
    users,
    runs: phases,
    node,
    version,
    profile,
  }
  print(figures)
  if (process.env.STARTUP_OUT) {
    mkdirSync(dirname(process.env.STARTUP_OUT), {recursive: true})
    writeFileSync(process.env.STARTUP_OUT, JSON.stringify(figures, null, 2) + '\n')
  }
} finally {
  await fleet.stop()
  rmSync(work, {recursive: true, force: true})
}

/** The node holding most of the fleet now. */
function fullestNode(): string {
  const counts = new Map<string, number>()
  for (const user of fleet.stats()) if (user.online) counts.set(user.currentService, (counts.get(user.currentService) ?? 0) + 1)
  const [service] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [`xmpp://127.0.0.1:${lab.nodes[0].c2s}`]
  const port = Number(service.slice(service.lastIndexOf(':') + 1))
  return lab.nodes.find((node) => node.c2s === port)?.name ?? lab.nodes[0].name
}

async function drainOnce(i: number, extraNodeArgs: string[] = []): Promise<StartupPhases> {
  const marksFile = join(work, `marks-${i}.json`)
  const args = [
    ...extraNodeArgs,
    join(root, 'bin', 'run.js'),
    'drain',
    fullestNode(),
    '--yes',
    '--json',
    '--no-cordon',
    '--rate',
    '100',
    '--config',
    lab.config,
  ]
  const env = {...process.env, NODE_OPTIONS: `--import=${preload}`, STARTUP_MARKS: marksFile, XTRANSFER_STATE_DIR: join(work, 'state')}
  const spawnedAt = Date.now()
  const code = await new Promise<number | null>((resolveExit) => {
    const child = spawn(process.execPath, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('exit', (exitCode) => {
      if (exitCode !== 0) process.stderr.write(`run ${i + 1}: exit ${exitCode}: ${stderr.slice(0, 400)}\n`)
      resolveExit(exitCode)
    })
  })
  if (code !== 0) fail(`run ${i + 1} of the drain failed (exit ${code})`)
  const marks = JSON.parse(readFileSync(marksFile, 'utf8')) as StartupMarks
  return startupPhases(marks, spawnedAt, {configPath: lab.config, apiPorts})
}

async function profiledRun(): Promise<{toFirstPacketMs: number | null; top: Array<{name: string; ms: number}>}> {
  const dir = join(work, 'profile')
  const phases = await drainOnce(runs, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'])
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
  if (!file) return {toFirstPacketMs: phases.toFirstPacket, top: []}
  const untilMs = (phases.toFirstPacket ?? phases.wall) - (phases.boot ?? 0)
  return {toFirstPacketMs: phases.toFirstPacket, top: cpuSelfByPackage(JSON.parse(readFileSync(join(dir, file), 'utf8')), untilMs).slice(0, 20)}
}

/** Wall and CPU of a command that does no network work, min and median of `runs` runs. */
function reference(label: string, command: string[]) {
  const samples: Array<{wall: number; cpu: number}> = []
  for (let i = 0; i < runs; i++) {
    const started = Date.now()
    const result = spawnSync('/usr/bin/time', ['-f', '%U %S', ...command], {encoding: 'utf8'})
    const [user, system] = (result.stderr.trim().split('\n').at(-1) ?? '0 0').split(' ').map(Number)
    samples.push({wall: Date.now() - started, cpu: Math.round((user + system) * 1000)})
  }
  return {label, wall: stats(samples.map((s) => s.wall)), cpu: stats(samples.map((s) => s.cpu))}
}

function stats(values: Array<number | null>): {min: number | null; median: number | null; max: number | null} {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b)
  if (sorted.length === 0) return {min: null, median: null, max: null}
  return {min: sorted[0], median: sorted[Math.floor((sorted.length - 1) / 2)], max: sorted.at(-1)!}
}

function print(figures: {
  root: string
  loadAverage: string[]
  runs: StartupPhases[]
  node: ReturnType<typeof reference>
  version: ReturnType<typeof reference>
  profile?: Awaited<ReturnType<typeof profiledRun>>
}) {
  const rows: Array<[string, keyof StartupPhases]> = [
    ['node boots (spawn → preload)', 'boot'],
    ['modules, oclif, flags (→ config read)', 'load'],
    ['config and password (→ first API call)', 'configAndPassword'],
    ['plan: API calls and planning (→ journal opens)', 'plan'],
    ['run start (→ first packet)', 'runStart'],
    ['… admin login (TCP connect → first packet)', 'adminLogin'],
    ['spawn → first packet', 'toFirstPacket'],
    ['spawn → exit', 'wall'],
    ['CPU until the first packet', 'cpuToFirstPacket'],
    ['CPU in all', 'cpu'],
  ]
  const lines = [`xtransfer start-up (${figures.root}), ${figures.runs.length} drains of ${users} sessions, load average ${figures.loadAverage.join(' ')}`, '']
  lines.push(`${'ms'.padEnd(50)} ${'min'.padStart(6)} ${'median'.padStart(7)} ${'max'.padStart(6)}`)
  for (const [label, key] of rows) {
    const s = stats(figures.runs.map((run) => run[key] as number | null))
    lines.push(`${label.padEnd(50)} ${String(s.min).padStart(6)} ${String(s.median).padStart(7)} ${String(s.max).padStart(6)}`)
  }
  for (const ref of [figures.node, figures.version]) {
    lines.push(
      `${`${ref.label}: wall`.padEnd(50)} ${String(ref.wall.min).padStart(6)} ${String(ref.wall.median).padStart(7)} ${String(ref.wall.max).padStart(6)}`,
    )
    lines.push(`${`${ref.label}: CPU`.padEnd(50)} ${String(ref.cpu.min).padStart(6)} ${String(ref.cpu.median).padStart(7)} ${String(ref.cpu.max).padStart(6)}`)
  }
  lines.push('', `API calls before the first packet: ${figures.runs[0]?.callsBeforeFirstPacket.join(', ')}`)
  if (figures.profile) {
    lines.push('', `CPU self time until the first packet, by package (--cpu-prof, one run; first packet at ${figures.profile.toFirstPacketMs} ms):`)
    for (const {name, ms} of figures.profile.top) lines.push(`  ${String(ms).padStart(5)} ms  ${name}`)
  }
  process.stdout.write(lines.join('\n') + '\n')
}

function transpilePreload(dir: string): string {
  const source = join(here, 'preload', 'startup-marks.ts')
  const {outputText} = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: {module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022},
    fileName: source,
  })
  const path = join(dir, 'startup-marks.mjs')
  writeFileSync(path, outputText)
  return path
}

function positive(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer (got '${text}')`)
  return value
}

function fail(message: string): never {
  process.stderr.write(`bench:startup: ${message}\n`)
  process.exit(2)
}
