// CPU and memory of processes and of the machine, from /proc (Linux).
import {readFileSync} from 'node:fs'

import {round} from '../analysis/stats.js'
import type {LabInfo} from './lab-info.js'

const TICKS = 100 // getconf CLK_TCK on Linux

/** utime + stime of a process in seconds (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS
  } catch {
    return 0
  }
}

/** VmRSS and VmHWM of a process (default: this one) in MB. */
export function memoryMb(pid: number | 'self' = 'self'): {rss: number; hwm: number} {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
    return {rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024}
  } catch {
    return {rss: 0, hwm: 0}
  }
}

/** Each node's CPU seconds so far, by node name; diff two readings for a phase. */
export function serverCpu(lab: LabInfo): Record<string, number> {
  return Object.fromEntries(lab.nodes.map((node) => [node.name, cpuSeconds(node.pid)]))
}

/** Per node, then `total`: a node that stopped (or restarted) in between has no figure (null), and no share of the total. */
export type CpuDelta = Record<string, number | null> & {total: number | null}

export function cpuDelta(before: Record<string, number>, after: Record<string, number>): CpuDelta {
  const out: Record<string, number | null> = {}
  for (const key of Object.keys(after)) out[key] = after[key] >= (before[key] ?? 0) && after[key] > 0 ? round(after[key] - (before[key] ?? 0), 2) : null
  out.total = round(
    Object.values(out).reduce<number>((a, b) => a + (b ?? 0), 0),
    2,
  )
  return out as CpuDelta
}

/** The machine's busy and idle CPU seconds (all processes), from /proc/stat. */
export function machineCpu(): {busy: number; idle: number} {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
  return {busy: (user + nice + system + irq + softirq + steal) / TICKS, idle: (idle + iowait) / TICKS}
}
