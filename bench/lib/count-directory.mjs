// Preloaded into the xtransfer CLI by the bench only (NODE_OPTIONS=--import …), never by
// xtransfer itself: counts the directory's HTTP calls (command, start, duration, bytes
// read) by wrapping fetch and node:http(s).request, and writes them with the process's
// own resource usage to $BENCH_DIRECTORY_LOG when the process exits. Nothing in src/ is
// changed.
import {readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {syncBuiltinESMExports} from 'node:module'

const out = process.env.BENCH_DIRECTORY_LOG
if (out) {
  const calls = []
  const original = globalThis.fetch
  const now = () => performance.timeOrigin + performance.now()
  globalThis.fetch = async function countedFetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const command = url.slice(url.lastIndexOf('/') + 1)
    const started = now()
    const call = {command, at: Math.round(started), ms: 0, bytes: 0, status: 0}
    calls.push(call)
    try {
      const response = await original(input, init)
      const body = await response.arrayBuffer()
      call.status = response.status
      call.bytes = body.byteLength
      call.ms = Math.round(now() - started)
      return new Response(body, {status: response.status, statusText: response.statusText, headers: response.headers})
    } catch (error) {
      call.ms = Math.round(now() - started)
      call.error = error?.cause?.code ?? error?.name ?? 'error'
      throw error
    }
  }
  // The same for a directory client built on node:http(s) (named imports see the wrapper
  // once the builtins' ESM exports are synced; this runs before the CLI imports anything).
  for (const mod of [http, https]) {
    const original = mod.request
    mod.request = function countedRequest(...args) {
      const req = original.apply(this, args)
      const target = args[0]
      const url = typeof target === 'string' ? target : target instanceof URL ? target.href : String(target?.path ?? '')
      if (!url.includes('/api/')) return req
      const started = now()
      const call = {command: url.slice(url.lastIndexOf('/') + 1), at: Math.round(started), ms: 0, bytes: 0, status: 0}
      calls.push(call)
      req.on('response', (res) => {
        call.status = res.statusCode
        res.on('data', (chunk) => {
          call.bytes += chunk.length
        })
        res.on('end', () => {
          call.ms = Math.round(now() - started)
        })
      })
      req.on('error', (error) => {
        call.ms = Math.round(now() - started)
        call.error = error?.code ?? error?.name ?? 'error'
      })
      return req
    }
  }
  syncBuiltinESMExports()

  process.on('exit', () => {
    let hwmMb = null
    try {
      hwmMb = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024
    } catch {}
    const usage = process.resourceUsage()
    writeFileSync(out, JSON.stringify({pid: process.pid, exitedAt: Date.now(), hwmMb, userCpuS: usage.userCPUTime / 1e6, systemCpuS: usage.systemCPUTime / 1e6, maxRssMb: usage.maxRSS / 1024, calls}))
  })
}
