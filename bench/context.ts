// What every phase is given: the run's settings, the lab, the bench's own admin API, the
// fleet's workers, the message traffic, the results so far, and the run's clock.
import type {Pool} from './fleet/pool.js'
import type {AdminApi} from './lab/admin-api.js'
import type {LabInfo} from './lab/lab-info.js'
import type {BenchResult} from './results.js'
import type {BenchSettings} from './settings.js'
import type {MessageTraffic} from './steps/message-traffic.js'

/** Wall-clock time in epoch ms with sub-ms resolution, and a real sleep: the bench measures a live lab. */
export interface BenchClock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const realClock: BenchClock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

export interface BenchContext {
  /** The checkout: bin/run.js, test/lab/, docs/. */
  root: string
  settings: BenchSettings
  lab: LabInfo
  api: AdminApi
  pool: Pool
  /** user0001…userN, and each worker's share of them. */
  users: string[]
  slices: string[][]
  result: BenchResult
  /** null when BENCH_MSG_RATE=0. */
  messages: MessageTraffic | null
  /** The transpiled directory counter the CLI is started with (steps/run-cli.ts). */
  preload: string
  clock: BenchClock
  say(text: string): void
}

/** After the floor: the main drain's --rate is chosen (from the floor, BENCH_RATE or the default). */
export interface PacedContext extends BenchContext {
  rate: number
}
