// The bench's fleet: W worker processes (bench/fleet-worker.mjs), each running startFleet
// for its slice of the users; commands and answers go over IPC.
import {fork} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const WORKER = fileURLToPath(new URL('../fleet-worker.mjs', import.meta.url))

export async function startPool(count, {execArgv = [], timeoutMs = 30_000} = {}) {
  const workers = await Promise.all(Array.from({length: count}, () => spawnWorker(execArgv, timeoutMs)))
  return {
    size: count,
    pids: workers.map((worker) => worker.child.pid),
    /** Run `cmd` on every worker; `args(i)` gives worker i its arguments. */
    all(cmd, args = () => ({}), ms = 600_000) {
      return Promise.all(workers.map((worker, i) => worker.request(cmd, args(i), ms)))
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()))
    },
  }
}

function spawnWorker(execArgv, timeoutMs) {
  const child = fork(WORKER, [], {execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc']})
  const pending = new Map()
  let nextId = 1
  let exited = false
  child.on('message', (message) => {
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
  const worker = {
    child,
    request(cmd, args, ms) {
      if (exited) return Promise.reject(new Error(`fleet worker ${child.pid} is gone`))
      const id = nextId++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`fleet worker ${child.pid}: ${cmd} took more than ${Math.round(ms / 1000)} s`))
        }, ms)
        pending.set(id, {resolve, reject, timer})
        child.send({id, cmd, args})
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
    child.once('message', (message) => {
      if (message?.ready) {
        clearTimeout(timer)
        resolve(worker)
      }
    })
    child.once('error', reject)
  })
}
