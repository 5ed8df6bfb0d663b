// The bench's settings, read once from the environment (docs/performance.md, "Settings").
// A bad value is one clear line and exit 2, before any process or lab is touched.
import {join, resolve} from 'node:path'

/** The phases in the order they run; BENCH_PHASES picks among them. */
export const PHASE_NAMES = ['floor', 'drain', 'drain-default', 'drain-50', 'drain-bbm', 'drain-ordinary', 'kick', 'stop-node'] as const
export type PhaseName = (typeof PHASE_NAMES)[number]

/** The fixed pace the bench compares with: xtransfer's default until --rate auto (1aa35d8), half this lab's floor. */
export const FIXED_RATE = 50
export const SENDER = 'xtbench-sender'
/** > the helper's minSessionAge (1.05 s): no move waits for ejabberd's tie-break. */
export const SETTLE_MS = 2000
export const DRAIN_NODE = 'node-1'

export type SamplerKind = 'stats' | 'info'

export interface BenchSettings {
  users: number
  workers: number
  parallelism: number
  sampleMs: number
  sampler: SamplerKind
  kickParallel: number
  /** BENCH_RATE, 0 when not set: the main drain's pace is then derived from the floor. */
  fixedRate: number
  rateFactor: number
  waitS: number
  profile: boolean
  phases: PhaseName[]
  /** Messages per second over all receivers (0: no sender). */
  msgRate: number
  msgUsers: number
  msgGraceMs: number
  viewProbe: boolean
  /** BENCH_ROUTE_PROBE=1: lab/route-probe.ts during every phase with messages (issue 14 §3b). */
  routeProbe: boolean
  labDir: string | undefined
  out: string
  /** Only a run that writes to bench/results refreshes the picture in docs/. */
  updateDocsPicture: boolean
  work: string
}

export class SettingsError extends Error {}

export function readSettings(env: NodeJS.ProcessEnv, root: string): BenchSettings {
  const int = (name: string, fallback: number): number => {
    const value = env[name]
    if (value === undefined || value === '') return fallback
    if (!/^\d+$/.test(value)) throw new SettingsError(`${name} must be a whole number (got '${value}')`)
    return Number(value)
  }
  const users = int('BENCH_USERS', 2000)
  const sampler = env.BENCH_SAMPLER || 'stats'
  if (sampler !== 'stats' && sampler !== 'info') throw new SettingsError(`BENCH_SAMPLER must be stats or info (got '${sampler}')`)
  const rateFactor = Number(env.BENCH_RATE_FACTOR || 0.9)
  if (!(rateFactor > 0)) throw new SettingsError(`BENCH_RATE_FACTOR must be a number > 0 (got '${env.BENCH_RATE_FACTOR}')`)
  const phases = (env.BENCH_PHASES || PHASE_NAMES.join(',')).split(',').map((p) => p.trim())
  const unknown = phases.filter((p) => !(PHASE_NAMES as readonly string[]).includes(p))
  if (unknown.length) throw new SettingsError(`BENCH_PHASES: unknown phase(s) ${unknown.join(', ')} (known: ${PHASE_NAMES.join(', ')})`)
  const defaultOut = join(root, 'bench', 'results')
  const out = resolve(env.BENCH_OUT || defaultOut)
  return {
    users,
    workers: int('BENCH_WORKERS', Math.max(2, Math.ceil(users / 1000))),
    parallelism: int('BENCH_PARALLELISM', 16),
    sampleMs: int('BENCH_SAMPLE_MS', 250),
    sampler,
    kickParallel: int('BENCH_KICK_PARALLEL', 48),
    fixedRate: int('BENCH_RATE', 0),
    rateFactor,
    waitS: int('BENCH_WAIT', 60),
    profile: env.BENCH_PROFILE === '1',
    phases: phases as PhaseName[],
    msgRate: int('BENCH_MSG_RATE', 200),
    msgUsers: Math.min(users, int('BENCH_MSG_USERS', 100)),
    msgGraceMs: int('BENCH_MSG_GRACE_MS', 5000),
    viewProbe: env.BENCH_VIEW_PROBE === '1',
    routeProbe: env.BENCH_ROUTE_PROBE === '1',
    labDir: env.XTRANSFER_LAB_DIR,
    out,
    updateDocsPicture: out === defaultOut,
    work: resolve(env.BENCH_WORK || '/tmp/xtransfer-bench-work'),
  }
}
