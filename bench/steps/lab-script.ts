// test/lab/node.sh on the bench's lab (bench/run.sh exported its settings); bounded.
import {spawn} from 'node:child_process'
import {join} from 'node:path'

export interface ScriptOutcome {
  /** The exit code, or the signal's name when it was killed. */
  code: number | string | null
  output: string
}

export function runLabScript(root: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<ScriptOutcome> {
  return new Promise((resolvePromise) => {
    const child = spawn('bash', [join(root, 'test', 'lab', 'node.sh'), ...args], {cwd: root, env, stdio: ['ignore', 'pipe', 'pipe']})
    const output: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({code: code ?? signal, output: Buffer.concat(output).toString()})
    })
  })
}
