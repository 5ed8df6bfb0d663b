// bench:scale's settings, read once from the environment (docs/performance.md, "Clusters of
// millions"). A bad value is one clear line and exit 2, before anything runs.
import {join, resolve} from 'node:path'

import type {ScenarioKind, ScenarioSpec} from './scenario.js'

interface ScenarioShape {
  kind: ScenarioKind
  rate: number | 'auto'
  /** Sessions on node-1, whatever the cluster's size (default: an even share). */
  onFirstNode?: number
  what: string
}

/**
 * --concurrency 2000 in all: the default 100 holds a 20-node cluster to ~60 moves/s (a handover
 * holds its slot 1.1-3.1 s, the clients' resume time). Each node serves 50 logins/s, so a drain
 * has 19 × 50 = 950/s and a rebalance onto one new node 50/s.
 */
export const SCENARIOS: Record<string, ScenarioShape> = {
  'drain-auto': {kind: 'drain', rate: 'auto', what: 'drain node-1 (1/20 of the sessions) with the defaults: --rate auto'},
  'drain-fixed': {kind: 'drain', rate: 500, what: 'drain node-1 (1/20 of the sessions) at --rate 500'},
  'drain-5k': {kind: 'drain', rate: 500, onFirstNode: 5_000, what: 'drain node-1 holding 5,000 sessions, whatever the cluster, at --rate 500'},
  'rebalance-fixed': {kind: 'rebalance', rate: 40, what: 'rebalance --to node-21 (a new, empty node takes its 1/21) at --rate 40'},
  'rebalance-auto': {kind: 'rebalance', rate: 'auto', what: 'rebalance --to node-21 with --rate auto'},
}

export const DEFAULT_SCENARIOS = ['drain-fixed', 'drain-auto', 'drain-5k', 'rebalance-fixed']

export interface ScaleSettings {
  sizes: number[]
  scenarios: string[]
  nodes: number
  nodeCapacity: number
  concurrency: number
  seed: number
  renderMaxRows: number
  /** Each step's bound (s). */
  stepTimeoutS: number
  /** Each phase profiled alone (V8's sampling profiler), .cpuprofile files under `work`/prof. */
  profile: boolean
  out: string
  work: string
}

export class SettingsError extends Error {}

export function readScaleSettings(env: NodeJS.ProcessEnv, root: string): ScaleSettings {
  const int = (name: string, fallback: number, min = 1): number => {
    const value = env[name]
    if (value === undefined || value === '') return fallback
    if (!/^\d+$/.test(value) || Number(value) < min) throw new SettingsError(`${name} must be a whole number ≥ ${min} (got '${value}')`)
    return Number(value)
  }
  const sizesText = env.SCALE_SIZES || '10000,100000,1000000'
  const sizes = sizesText.split(',').map((text) => Number(text.trim()))
  if (sizes.some((n) => !Number.isInteger(n) || n < 1_000 || n > 5_000_000)) {
    throw new SettingsError(`SCALE_SIZES must be whole numbers of sessions from 1000 to 5000000 (got '${sizesText}')`)
  }
  const scenarios = (env.SCALE_SCENARIOS || DEFAULT_SCENARIOS.join(',')).split(',').map((name) => name.trim())
  const unknown = scenarios.filter((name) => !SCENARIOS[name])
  if (unknown.length > 0) throw new SettingsError(`SCALE_SCENARIOS: unknown ${unknown.join(', ')} (known: ${Object.keys(SCENARIOS).join(', ')})`)
  const nodes = int('SCALE_NODES', 20, 2)
  if (nodes > 200) throw new SettingsError(`SCALE_NODES must be at most 200 (got ${nodes})`)
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    scenarios,
    nodes,
    nodeCapacity: int('SCALE_NODE_CAPACITY', 50),
    concurrency: int('SCALE_CONCURRENCY', 2_000),
    seed: int('SCALE_SEED', 1),
    renderMaxRows: int('SCALE_RENDER_MAX_ROWS', 5_000),
    stepTimeoutS: int('SCALE_STEP_TIMEOUT', 1_800),
    profile: env.SCALE_PROFILE === '1',
    out: resolve(env.SCALE_OUT || join(root, 'bench', 'results')),
    work: resolve(env.SCALE_WORK || '/tmp/xtransfer-scale-work'),
  }
}

/** The spec a child process runs for one scenario at one cluster size. */
export function specFor(settings: ScaleSettings, name: string, sessions: number): ScenarioSpec {
  const shape = SCENARIOS[name]!
  return {
    name,
    kind: shape.kind,
    sessions,
    nodes: settings.nodes,
    rate: shape.rate,
    concurrency: settings.concurrency,
    nodeCapacity: settings.nodeCapacity,
    seed: settings.seed,
    renderMaxRows: settings.renderMaxRows,
    ...(shape.onFirstNode !== undefined ? {onFirstNode: Math.min(shape.onFirstNode, Math.floor(sessions / 2))} : {}),
  }
}
