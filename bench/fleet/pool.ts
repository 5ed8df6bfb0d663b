// The bench's fleet: W worker processes (fleet/worker.ts, run with tsx), each running
// startFleet for its slice of the users; commands and answers go over IPC (fleet/protocol.ts).
import {type ChildProcess, fork} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import type {WorkerAnswer, WorkerCommand, WorkerCommands, WorkerRequest} from './protocol.js'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

export interface Pool {
  size: number
  pids: (number | undefined)[]
  /** Run `cmd` on every worker; `args(i)` gives worker i its arguments; bounded by `ms`. */
  all<C extends WorkerCommand>(cmd: C, args?: (i: number) => WorkerCommands[C]['args'], ms?: number): Promise<WorkerCommands[C]['result'][]>
  close(): Promise<void>
}

interface Worker {
  child: ChildProcess
  request<C extends WorkerCommand>(cmd: C, args: WorkerCommands[C]['args'], ms: number): Promise<WorkerCommands[C]['result']>
  close(): Promise<void>
}

/** `execArgv`: extra node options for the workers (--cpu-prof); tsx is always loaded, the worker is TypeScript. */
export async function startPool(count: number, {execArgv = [], timeoutMs = 30_000}: {execArgv?: string[]; timeoutMs?: number} = {}): Promise<Pool> {
  const workers = await Promise.all(Array.from({length: count}, () => spawnWorker(['--import', 'tsx', ...execArgv], timeoutMs)))
  return {
    size: count,
    pids: workers.map((worker) => worker.child.pid),
    all(cmd, args = () => ({}) as never, ms = 600_000) {
      return Promise.all(workers.map((worker, i) => worker.request(cmd, args(i), ms)))
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()))
    },
  }
}

interface Waiter {
  resolve(result: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

function spawnWorker(execArgv: string[], timeoutMs: number): Promise<Worker> {
  const child = fork(WORKER, [], {execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc']})
  const pending = new Map<number, Waiter>()
  let nextId = 1
  let exited = false
  child.on('message', (message: WorkerAnswer) => {
    const waiter = pending.get(message.id)
    if (!waiter) return
    pending.delete(message.id)
    clearTimeout(waiter.timer)
    if (message.ok) waiter.resolve(message.result)
    else waiter.reject(new Error(`fleet worker ${child.pid}: ${message.error}`))
  })
  child.on('exit', (code, signal) => {
    exited = true
    for (const waiter of pending.values()) {
      clearTimeout(waiter.timer)
      waiter.reject(new Error(`fleet worker ${child.pid} exited (${signal ?? code})`))
    }
    pending.clear()
  })
  const worker: Worker = {
    child,
    request<C extends WorkerCommand>(cmd: C, args: WorkerCommands[C]['args'], ms: number) {
      if (exited) return Promise.reject(new Error(`fleet worker ${child.pid} is gone`))
      const id = nextId++
      return new Promise<WorkerCommands[C]['result']>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`fleet worker ${child.pid}: ${cmd} took more than ${Math.round(ms / 1000)} s`))
        }, ms)
        pending.set(id, {resolve: resolve as (result: unknown) => void, reject, timer})
        child.send({id, cmd, args} satisfies WorkerRequest<C>)
      })
    },
    async close() {
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await gone
      clearTimeout(timer)
    },
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fleet worker did not start')), timeoutMs)
    child.once('message', (message: {ready?: boolean}) => {
      if (message?.ready) {
        clearTimeout(timer)
        resolve(worker)
      }
    })
    child.once('error', reject)
  })
}
