// Preloaded into the xtransfer CLI by bench/startup.ts only (NODE_OPTIONS=--import …), never
// by xtransfer itself: marks when the start-up steps happen, from the outside, so that
// nothing in src/ is changed to be measured. Plain JavaScript once transpiled (no imports of
// ours, type-only imports erased), like count-directory.ts: tsx in the CLI would add ~0.5 s.
//   - the preload itself: Node has booted;
//   - the config file and the password file read (fs/promises readFile);
//   - each HTTP API call (node:http request: command, start, end);
//   - each TCP connect (port) and the first TLS upgrade (the admin's STARTTLS);
//   - the first journal line of type "sending" (the first packet), with the CPU spent so far;
// and writes them to $STARTUP_MARKS when the process exits.
import {writeFileSync} from 'node:fs'
import fs from 'node:fs'
import fsPromises from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import tls from 'node:tls'
import {syncBuiltinESMExports} from 'node:module'

import type {StartupMarks} from '../startup/marks.js'

const out = process.env.STARTUP_MARKS
if (out) {
  const now = () => performance.timeOrigin + performance.now()
  const cpuMs = () => {
    const usage = process.cpuUsage()
    return (usage.user + usage.system) / 1000
  }
  const marks: StartupMarks = {timeOrigin: performance.timeOrigin, preloadAt: now(), files: [], calls: [], connects: [], exitAt: 0, cpuMsAtExit: 0}
  const readFile = fsPromises.readFile
  fsPromises.readFile = async function markedReadFile(this: unknown, ...args: Parameters<typeof readFile>) {
    const path = String(args[0])
    const at = now()
    const text = await readFile.apply(this, args)
    marks.files.push({path, at, doneAt: now()})
    return text
  } as typeof readFile
  const request = http.request
  http.request = function markedRequest(this: unknown, ...args: unknown[]): http.ClientRequest {
    const req = (request as (...a: unknown[]) => http.ClientRequest).apply(this, args)
    const target = args[0] as string | URL | {path?: string} | undefined
    const url = typeof target === 'string' ? target : target instanceof URL ? target.href : String(target?.path ?? '')
    const call = {command: url.slice(url.lastIndexOf('/') + 1), at: now(), doneAt: 0, status: 0}
    marks.calls.push(call)
    req.on('response', (res: http.IncomingMessage) => {
      call.status = res.statusCode ?? 0
      res.on('end', () => (call.doneAt = now()))
    })
    return req
  } as typeof http.request
  const connect = net.Socket.prototype.connect
  net.Socket.prototype.connect = function markedConnect(this: net.Socket, ...args: unknown[]) {
    const first = args[0] as {port?: number} | number | unknown[] | undefined
    const port = Array.isArray(first) ? (first[0] as {port?: number})?.port : typeof first === 'object' ? first?.port : first
    marks.connects.push({port: Number(port) || 0, at: now()})
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args)
  } as typeof connect
  const tlsConnect = tls.connect
  tls.connect = function markedTlsConnect(this: unknown, ...args: unknown[]) {
    const socket = (tlsConnect as (...a: unknown[]) => tls.TLSSocket).apply(this, args)
    const at = now()
    socket.once('secureConnect', () => {
      marks.tls ??= {at, secureAt: now()}
    })
    return socket
  } as typeof tls.connect
  const writeSync = fs.writeSync
  fs.writeSync = function markedWriteSync(this: unknown, ...args: unknown[]) {
    if (!marks.firstPacket && typeof args[1] === 'string' && args[1].includes('"type":"sending"')) marks.firstPacket = {at: now(), cpuMs: cpuMs()}
    if (!marks.runOpened && typeof args[1] === 'string' && /"type":"(run|resumed)"/.test(args[1])) marks.runOpened = {at: now(), cpuMs: cpuMs()}
    return (writeSync as (...a: unknown[]) => number).apply(this, args)
  } as typeof fs.writeSync
  syncBuiltinESMExports()

  process.on('exit', () => {
    marks.exitAt = now()
    marks.cpuMsAtExit = cpuMs()
    writeFileSync(out, JSON.stringify(marks))
  })
}
