// A phase of the bench: its name in BENCH_PHASES, the key its figures get in the results
// JSON, and how it runs. A new measurement (issue 14: the adaptive pace against fixed
// rates, the cost of tracking) is a new file exporting one of these, listed in phases/index.ts
// (and a column in render/figures.ts if the table should show it).
import {loadavg} from 'node:os'

import {round} from '../analysis/stats.js'
import type {BenchContext, PacedContext} from '../context.js'
import type {BenchPhases, PhaseKey} from '../results.js'
import type {PhaseName} from '../settings.js'

export interface Phase<K extends PhaseKey, C extends BenchContext = PacedContext> {
  readonly name: PhaseName
  readonly key: K
  /** False to skip it although BENCH_PHASES asks for it (it would repeat another phase). */
  applies?(ctx: C): boolean
  run(ctx: C): Promise<NonNullable<BenchPhases[K]>>
}

/** Runs `phase` if BENCH_PHASES asks for it and it applies; its figures go to result.phases[phase.key]. */
export async function runPhase<K extends PhaseKey, C extends BenchContext>(phase: Phase<K, C>, ctx: C): Promise<void> {
  if (!ctx.settings.phases.includes(phase.name) || phase.applies?.(ctx) === false) return
  // The machine is shared (other labs, CI): what else ran is part of every figure.
  const start = loadavg()[0]
  ctx.result.phases[phase.key] = await phase.run(ctx)
  ctx.result.loadAvg1m = {...ctx.result.loadAvg1m, [phase.key]: [round(start, 2), round(loadavg()[0], 2)]}
}
