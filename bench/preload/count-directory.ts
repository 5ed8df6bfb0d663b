// Preloaded into the xtransfer CLI by the bench only (NODE_OPTIONS=--import …), never by
// xtransfer itself: counts the directory's HTTP calls (command, start, duration, bytes
// read) by wrapping fetch and node:http(s).request, and writes them with the process's
// own resource usage to $BENCH_DIRECTORY_LOG when the process exits. Nothing in src/ is
// changed. The CLI is measured (CPU, peak RSS), so this file runs as plain JavaScript,
// without tsx: steps/run-cli.ts transpiles it alone (no imports of ours, type-only
// imports erased) into the work dir first.
import {readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {syncBuiltinESMExports} from 'node:module'

import type {DirectoryCall, DirectoryLog} from '../analysis/directory-polls.js'

const out = process.env.BENCH_DIRECTORY_LOG
if (out) {
  const calls: DirectoryCall[] = []
  const original = globalThis.fetch
  const now = () => performance.timeOrigin + performance.now()
  globalThis.fetch = async function countedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const command = url.slice(url.lastIndexOf('/') + 1)
    const started = now()
    const call: DirectoryCall = {command, at: Math.round(started), ms: 0, bytes: 0, status: 0}
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
      const e = error as {cause?: {code?: string}; name?: string} | undefined
      call.error = e?.cause?.code ?? e?.name ?? 'error'
      throw error
    }
  }
  // The same for a directory client built on node:http(s) (named imports see the wrapper
  // once the builtins' ESM exports are synced; this runs before the CLI imports anything).
  for (const mod of [http, https]) {
    const original = mod.request as (...args: unknown[]) => http.ClientRequest
    const counted = function countedRequest(this: unknown, ...args: unknown[]): http.ClientRequest {
      const req = original.apply(this, args)
      const target = args[0] as string | URL | {path?: string} | undefined
      const url = typeof target === 'string' ? target : target instanceof URL ? target.href : String(target?.path ?? '')
      if (!url.includes('/api/')) return req
      const started = now()
      const call: DirectoryCall = {command: url.slice(url.lastIndexOf('/') + 1), at: Math.round(started), ms: 0, bytes: 0, status: 0}
      calls.push(call)
      req.on('response', (res: http.IncomingMessage) => {
        call.status = res.statusCode ?? 0
        res.on('data', (chunk: Buffer) => {
          call.bytes += chunk.length
        })
        res.on('end', () => {
          call.ms = Math.round(now() - started)
        })
      })
      req.on('error', (error: {code?: string; name?: string} | undefined) => {
        call.ms = Math.round(now() - started)
        call.error = error?.code ?? error?.name ?? 'error'
      })
      return req
    }
    mod.request = counted as typeof http.request
  }
  syncBuiltinESMExports()

  process.on('exit', () => {
    let hwmMb: number | null = null
    try {
      hwmMb = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024
    } catch {}
    const usage = process.resourceUsage()
    const log: DirectoryLog = {
      pid: process.pid,
      exitedAt: Date.now(),
      hwmMb,
      userCpuS: usage.userCPUTime / 1e6,
      systemCpuS: usage.systemCPUTime / 1e6,
      maxRssMb: usage.maxRSS / 1024,
      calls,
    }
    writeFileSync(out, JSON.stringify(log))
  })
}
