// The real CLI (./bin/run.js, the built dist/), under GNU time -v when there, with the
// directory counter preloaded; bounded. Its own process group, so a timeout can signal it
// and GNU time together, and a stopped bench stops it too.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import ts from 'typescript'

export interface CliFiles {
  /** The CLI's stdout: its --json report. */
  report: string
  stderr: string
  /** GNU time's -v output. */
  time: string
  /** The preload's log of directory calls. */
  directory: string
  /** XTRANSFER_STATE_DIR: the run's journal. */
  state: string
}

export interface CliRun {
  exitCode: number | null
  timedOut: boolean
  startedAt: number
  endedAt: number
}

export interface CliOptions {
  root: string
  /** steps/run-cli.ts's preparePreload() result. */
  preload: string
  env: NodeJS.ProcessEnv
  /** With --cpu-prof, into this dir (BENCH_PROFILE=1). */
  profileDir?: string
  now(): number
  say(text: string): void
}

const PRELOAD_SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', 'preload', 'count-directory.ts')

/**
 * The directory counter as plain JavaScript in `work`: loading tsx into the CLI would add
 * ~35 MB and ~0.5 s of CPU to the figures it is measured for (peak RSS, CPU).
 */
export function preparePreload(work: string): string {
  const {outputText} = ts.transpileModule(readFileSync(PRELOAD_SOURCE, 'utf8'), {
    compilerOptions: {module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022},
    fileName: PRELOAD_SOURCE,
  })
  const path = join(work, 'preload', 'count-directory.mjs')
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, outputText)
  return path
}

/** The CLI's process group while it runs (null otherwise): stopRunningCli() signals it. */
let runningCli: number | null = null

/** When the bench is stopped: SIGINT to the CLI's process group, if one runs. */
export function stopRunningCli(): void {
  if (runningCli) {
    try {
      process.kill(-runningCli, 'SIGINT')
    } catch {}
  }
}

export function runCli(options: CliOptions, args: string[], files: CliFiles, timeoutMs: number): Promise<CliRun> {
  const {root, preload, env, profileDir, now, say} = options
  const nodeOptions = [env.NODE_OPTIONS ?? '', `--import=${preload}`]
  const childEnv = {...env, NODE_OPTIONS: nodeOptions.join(' ').trim(), BENCH_DIRECTORY_LOG: files.directory, XTRANSFER_STATE_DIR: files.state}
  // --cpu-prof is refused in NODE_OPTIONS: with BENCH_PROFILE=1, node runs bin/run.js itself.
  const bin = profileDir ? [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, join(root, 'bin', 'run.js')] : [join(root, 'bin', 'run.js')]
  const hasTime = existsSync('/usr/bin/time')
  const [command, ...argv] = hasTime ? ['/usr/bin/time', '-v', '-o', files.time, ...bin, ...args] : [...bin, ...args]
  return new Promise((resolvePromise, reject) => {
    const startedAt = now()
    const child = spawn(command, argv, {cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    const group = child.pid as number
    runningCli = group
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      say(`the CLI ran past ${Math.round(timeoutMs / 1000)} s: SIGINT`)
      try {
        process.kill(-group, 'SIGINT')
      } catch {}
      setTimeout(() => {
        try {
          process.kill(-group, 'SIGKILL')
        } catch {}
      }, 15_000).unref()
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      runningCli = null
      clearTimeout(timer)
      const endedAt = now()
      writeFileSync(files.report, Buffer.concat(out))
      writeFileSync(files.stderr, Buffer.concat(err))
      resolvePromise({exitCode: code, timedOut, startedAt, endedAt})
    })
  })
}
