import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON, when it is (the tests' assertions and docs/*.schema.json check its shape). */

  json?: any
}

/** Run the built CLI as a user would: a child process with no terminal. */
export function runCli(args: string[], options: {env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, NO_COLOR: '1', XTRANSFER_PASSWORD: '', ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      let json
      try {
        json = JSON.parse(stdout)
      } catch {
        // Not JSON (a human run): json stays undefined.
      }
      resolve({code, stdout, stderr, json})
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Start the CLI and hand back the child, for tests that kill it mid-run. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['pipe', 'pipe', 'pipe']})
}
