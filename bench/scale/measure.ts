// CPU time and peak RSS of one phase of bench:scale, in this process. Peak RSS per phase: Linux
// keeps the process's high-water mark (VmHWM in /proc/self/status) and resets it when "5" is
// written to /proc/self/clear_refs (proc(5)), so each phase starts from the RSS it inherits,
// after a full GC, and its peak is its own. CPU is user + system of the whole process (GC
// threads included), so a phase is measured with nothing else running in the process.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {Session} from 'node:inspector/promises'
import {join} from 'node:path'

export interface PhaseFigures {
  /** CPU (user + system), ms. */
  cpuMs: number
  /** Wall time, ms (the machine is shared: CPU is the figure to compare). */
  wallMs: number
  /** RSS when the phase began (after a GC), MB. */
  rssBeforeMb: number
  /** The process's highest RSS during the phase, MB… */
  peakRssMb: number
  /** …and the heap in use at its end, MB (what it keeps). */
  heapAfterMb: number
  /** Whether the peak is the phase's own (the high-water mark could be reset). */
  peakIsPhases: boolean
}

const MB = 2 ** 20

/**
 * Runs `work` as one phase. With `profile` (SCALE_PROFILE_DIR), the phase alone is also
 * profiled with V8's sampling profiler into `<dir>/<name>.cpuprofile` (profile-summary.ts reads
 * it); the profiler's own cost is then in the figures.
 */
export async function measure<T>(work: () => Promise<T> | T, profile?: {dir: string; name: string}): Promise<{value: T; figures: PhaseFigures}> {
  collect()
  const own = resetPeak()
  const rssBefore = process.memoryUsage.rss()
  const session = profile ? await startProfile() : undefined
  const cpu = process.cpuUsage()
  const started = performance.now()
  const value = await work()
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  if (session && profile) await stopProfile(session, profile)
  const peak = Math.max(peakRss() ?? 0, process.memoryUsage.rss())
  return {
    value,
    figures: {
      cpuMs: (used.user + used.system) / 1000,
      wallMs,
      rssBeforeMb: rssBefore / MB,
      peakRssMb: peak / MB,
      heapAfterMb: process.memoryUsage().heapUsed / MB,
      peakIsPhases: own,
    },
  }
}

async function startProfile(): Promise<Session> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return session
}

async function stopProfile(session: Session, {dir, name}: {dir: string; name: string}): Promise<void> {
  const {profile} = await session.post('Profiler.stop')
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, `${name.replace(/[^\w.-]+/g, '-')}.cpuprofile`), JSON.stringify(profile))
  session.disconnect()
}

/** A full collection, if node runs with --expose-gc (bench/scale/main.ts starts it so). */
export function collect(): void {
  const gc = (globalThis as {gc?: () => void}).gc
  if (gc) {
    gc()
    gc()
  }
}

function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

/** VmHWM in bytes, or null off Linux. */
export function peakRss(): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return match ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}
