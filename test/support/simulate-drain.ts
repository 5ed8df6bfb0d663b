import type {Clock} from '../../src/model/clock.js'
import type {Pacer, PaceSample} from '../../src/engine/pace/pacer.js'
import {seededRandom} from './seeded-random.js'
import {type ClusterFigures, SimulatedCluster, type SimulatedClusterOptions} from './simulated-cluster.js'
import {VirtualClock} from './virtual-clock.js'

export interface CapacityChange {
  /** Simulated ms after the drain's start. */
  at: number
  capacity: number
}

export interface DrainScenario {
  moves: number
  capacity: number
  changes?: CapacityChange[]
  seed?: number
  cluster?: Omit<Partial<SimulatedClusterOptions>, 'clock' | 'random' | 'capacity'>
  /**
   * The ladder's moves (handover, redirect, close) instead of packets: the engine settles each
   * `handed-off` as soon as the server takes it (here at once) and tells the pacer when its
   * client is seen back (`reconnected`); a failed login teaches it nothing. Give the cluster the
   * clients' reconnect delay as `clientDelayMs`.
   */
  handoff?: boolean
}

export interface DrainFigures {
  moves: number
  landed: number
  failed: number
  /** From the first start to the last bind. */
  drainMs: number
  /** N moves at the capacity schedule, back to back from the first start: what no pace can beat. */
  idealMs: number
  peakQueue: number
  peakWaitMs: number
  /** The longest login wait that ended in each whole second. */
  peakWaitPerSecond: number[]
  /** Binds in each whole second from the start. */
  boundPerSecond: number[]
  /** When each move started, in order. */
  starts: number[]
  /** When each failed move's client gave up. */
  failedTimes: number[]
  /** The highest rate the pacer allowed at any start. */
  highestRate: number
  history: readonly PaceSample[]
}

/** The moves a second the capacity schedule allows at `t`. */
export function capacityAt(scenario: DrainScenario, t: number): number {
  let capacity = scenario.capacity
  for (const change of scenario.changes ?? []) if (change.at <= t) capacity = change.capacity
  return capacity
}

function idealMs(scenario: DrainScenario): number {
  let left = scenario.moves
  let t = 0
  const edges = [...(scenario.changes ?? []).map((change) => change.at), Infinity]
  for (const edge of edges) {
    const capacity = capacityAt(scenario, t)
    const span = ((edge - t) * capacity) / 1000
    if (span >= left) return t + (left / capacity) * 1000
    left -= span
    t = edge
  }
  return t
}

/**
 * Drains `moves` sessions through `pacer` into a simulated cluster whose capacity follows
 * the schedule, the way the engine will: acquire, move, settle with what tracking saw.
 */
export async function simulateDrain(scenario: DrainScenario, makePacer: (clock: Clock) => Pacer): Promise<DrainFigures> {
  const clock = new VirtualClock()
  const random = seededRandom(scenario.seed ?? 1)
  const cluster = new SimulatedCluster({...scenario.cluster, clock, random, capacity: scenario.capacity})
  const pacer = makePacer(clock)
  for (const change of scenario.changes ?? []) void clock.sleep(change.at).then(() => cluster.setCapacity(change.capacity))
  const starts: number[] = []
  let highestRate = 0
  // The engine's shape: one acquire at a time, each move running on its own once started, so
  // only the moves in flight are pending (a promise per planned move would hold 10^6 at once).
  const drain = async () => {
    for (let i = 0; i < scenario.moves; i++) {
      const move = await pacer.acquire()
      const startedAt = clock.now()
      starts.push(startedAt)
      highestRate = Math.max(highestRate, pacer.rate)
      if (scenario.handoff) {
        move.settle({kind: 'handed-off'})
        const settled = cluster.move().then((result) => {
          if (result.kind === 'landed') pacer.observe({kind: 'reconnected', handedOffAt: startedAt, seenAt: result.polledAt})
          inFlight.delete(settled)
        })
        inFlight.add(settled)
        continue
      }
      const settled = cluster.move().then((result) => {
        // As the engine should: a landing's time is when the listing that saw it began.
        move.settle(result.kind === 'landed' ? {kind: 'landed', at: result.polledAt} : {kind: 'failed'})
        inFlight.delete(settled)
      })
      inFlight.add(settled)
    }
    await Promise.all(inFlight)
  }
  const inFlight = new Set<Promise<void>>()
  await clock.run(drain())
  const figures: ClusterFigures = cluster.figures
  const boundPerSecond: number[] = []
  for (const at of figures.boundTimes) {
    const second = Math.floor(at / 1000)
    while (boundPerSecond.length <= second) boundPerSecond.push(0)
    boundPerSecond[second]! += 1
  }
  return {
    moves: scenario.moves,
    landed: figures.landed,
    failed: figures.failed,
    drainMs: figures.boundTimes.at(-1)! - starts[0]!,
    idealMs: idealMs(scenario),
    peakQueue: figures.peakQueue,
    peakWaitMs: figures.peakWaitMs,
    peakWaitPerSecond: figures.peakWaitPerSecond,
    boundPerSecond,
    starts,
    failedTimes: figures.failedTimes,
    highestRate,
    history: pacer.history,
  }
}

/** Mean binds a second over whole seconds [from, to). */
export function meanThroughput(figures: DrainFigures, fromS: number, toS: number): number {
  const seconds = figures.boundPerSecond.slice(fromS, toS)
  return seconds.reduce((sum, n) => sum + n, 0) / Math.max(1, seconds.length)
}

/** Seconds after `fromS` until the first whole second with at least `share` x capacity binds, or null. */
export function secondsToReach(figures: DrainFigures, fromS: number, capacity: number, share: number): number | null {
  for (let s = fromS; s < figures.boundPerSecond.length; s++) if (figures.boundPerSecond[s]! >= share * capacity) return s + 1 - fromS
  return null
}

/** Most starts in any sliding window of one second. */
export function mostStartsInOneSecond(starts: number[]): number {
  let most = 0
  let first = 0
  for (let last = 0; last < starts.length; last++) {
    while (starts[last]! - starts[first]! >= 1000) first++
    most = Math.max(most, last - first + 1)
  }
  return most
}
