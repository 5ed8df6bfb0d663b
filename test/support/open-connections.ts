// The TCP connections a test process opened and has not closed, with where each was opened from.
// node:test ends a file's process only when nothing keeps it open: one client left connected (a
// reconnect after the clean-up, a stray clone) holds the file until the runner kills it at its
// timeout, and the sessions it leaves spoil the files after it. An after() hook names them with
// this (and the server's listing names their sessions, by local port), then ends them.
import {Socket} from 'node:net'

interface Opened {
  at: number
  stack: string
}

const opened = new Map<Socket, Opened>()
let installed = false

/** From now on, every net.Socket connect() of this process is recorded (xmpp.js connects this way). */
export function trackConnections(): void {
  if (installed) return
  installed = true
  const connect = Socket.prototype.connect
  Socket.prototype.connect = function connectRecorded(this: Socket, ...args: any[]) {
    if (!opened.has(this)) opened.set(this, {at: Date.now(), stack: callers(new Error().stack)})
    return (connect as (...rest: any[]) => Socket).apply(this, args)
  } as typeof Socket.prototype.connect
}

export interface OpenConnection {
  socket: Socket
  localPort: number | undefined
  remote: string
  openedAgoMs: number
  /** The frames of the connect() call outside node's own code. */
  stack: string
}

/** The recorded connections that are not destroyed and keep the process alive (fetch()'s idle keep-alive sockets do not). */
export function openConnections(): OpenConnection[] {
  const now = Date.now()
  const left: OpenConnection[] = []
  for (const [socket, {at, stack}] of opened) {
    if (socket.destroyed) {
      opened.delete(socket)
      continue
    }
    if (!keepsProcessAlive(socket)) continue
    left.push({socket, localPort: socket.localPort, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, openedAgoMs: now - at, stack})
  }
  return left
}

function keepsProcessAlive(socket: Socket): boolean {
  const handle = (socket as unknown as {_handle?: {hasRef?: () => boolean}})._handle
  return handle?.hasRef?.() !== false
}

function callers(stack: string | undefined): string {
  return (stack ?? '')
    .split('\n')
    .slice(2)
    .filter((line) => !line.includes('node:') && !line.includes('connectRecorded'))
    .slice(0, 8)
    .map((line) => line.trim())
    .join(' < ')
}
