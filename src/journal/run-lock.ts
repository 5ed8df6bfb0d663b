import {closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {UsageError} from '../errors.js'

/** Who holds a node: written into its lock file. */
export interface LockHolder {
  runId: string
  command: string
  pid: number
  host: string
  since: string
}

export class LockedError extends UsageError {
  constructor(
    readonly node: string,
    readonly holder: LockHolder | undefined,
    path: string,
  ) {
    super(
      holder
        ? `${node} is being moved by run ${holder.runId} (${holder.command}, pid ${holder.pid} on ${holder.host} since ${holder.since}); ` +
            `wait for it, or if that process is gone for good remove ${path}`
        : `${node} is locked by another run (${path} is unreadable); if no run is going on, remove it`,
    )
  }
}

export interface RunLock {
  /** What was taken over from a holder that had died (for the report). */
  readonly tookOver: LockHolder[]
  release(): void
}

export interface LockRequest {
  /** The state dir (`$XTRANSFER_STATE_DIR`…): locks live in `locks/<cluster>/<node>.lock`. */
  stateDir: string
  /** The cluster's domain. */
  cluster: string
  /** The nodes the run takes sessions from. */
  nodes: string[]
  runId: string
  command: string
  /** For tests: whether a pid is alive on this host. */
  isAlive?: (pid: number) => boolean
  host?: string
  pid?: number
}

/**
 * One run at a time takes sessions from a node: two drains of one node sent every user two
 * packets, and two admin links kicked each other. A lock is a file created with O_EXCL (no
 * waiting, no daemon); a kill -9 leaves it behind, so a holder whose pid is gone on this same
 * host is stale and taken over. A holder on another host cannot be checked: refused, naming
 * it, as ssh names a changed host key rather than guessing.
 */
export function acquireRunLock(request: LockRequest): RunLock {
  const dir = join(request.stateDir, 'locks', safeName(request.cluster))
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const me: LockHolder = {
    runId: request.runId,
    command: request.command,
    pid: request.pid ?? process.pid,
    host: request.host ?? hostname(),
    since: new Date().toISOString(),
  }
  const isAlive = request.isAlive ?? pidAlive
  const taken: string[] = []
  const tookOver: LockHolder[] = []
  const release = () => {
    for (const path of taken.splice(0)) rmSync(path, {force: true})
  }
  try {
    for (const node of [...new Set(request.nodes)].sort()) {
      const path = join(dir, `${safeName(node)}.lock`)
      for (let attempt = 0; ; attempt++) {
        if (create(path, me)) {
          taken.push(path)
          break
        }
        const holder = readHolder(path)
        const stale = holder !== undefined && holder.host === me.host && !isAlive(holder.pid)
        if (!stale || attempt > 0) throw new LockedError(node, holder, path)
        rmSync(path, {force: true})
        tookOver.push(holder)
      }
    }
  } catch (error) {
    release()
    throw error
  }
  return {tookOver, release}
}

function create(path: string, holder: LockHolder): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`)
  } finally {
    closeSync(fd)
  }
  return true
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? (holder as LockHolder) : undefined
  } catch {
    return undefined
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function safeName(text: string): string {
  return text.replace(/[^\w.@-]/g, '_')
}
