// CPU seconds of each part (the servers, the fleet, the bench, the whole machine) between
// two snapshots of a phase; the CLI's own comes from GNU time or the preload.
import {r1, sum} from '../analysis/stats.js'
import type {BenchContext} from '../context.js'
import {cpuDelta, machineCpu, serverCpu} from '../lab/proc-stats.js'
import type {CpuFigures} from '../results.js'

export interface CpuSnapshot {
  at: number
  server: Record<string, number>
  fleet: number
  fleetRssMb: number[]
  bench: number
  machine: {busy: number; idle: number}
}

export async function cpuSnapshot(ctx: BenchContext): Promise<CpuSnapshot> {
  const counts = await ctx.pool.all('counts')
  return {
    at: ctx.clock.now(),
    server: serverCpu(ctx.lab),
    fleet: sum(counts, (c) => (c.cpu.user + c.cpu.system) / 1e6),
    fleetRssMb: counts.map((c) => Math.round(c.memory.rssMb)),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    machine: machineCpu(),
  }
}

export function cpuSince(a: CpuSnapshot, b: CpuSnapshot): CpuFigures {
  const wall = (b.at - a.at) / 1000
  return {
    wallS: r1(wall),
    serverS: cpuDelta(a.server, b.server),
    fleetS: r1(b.fleet - a.fleet),
    benchS: r1(b.bench - a.bench),
    machineBusyS: r1(b.machine.busy - a.machine.busy),
    machineIdleS: r1(b.machine.idle - a.machine.idle),
    fleetRssMb: b.fleetRssMb,
  }
}
