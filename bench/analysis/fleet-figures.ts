// Figures from the fleet's own view: each user's offline gaps, and the directory's
// sessions-per-node samples as a timeline from a phase's origin.
import type {FleetUserStats} from '../../src/fleet/index.js'
import type {NodeCountSample} from '../lab/sampler.js'
import type {GapFigures, TimelinePoint} from '../results.js'
import {spread} from './stats.js'

export function gapStats(stats: FleetUserStats[]): GapFigures {
  const gaps = stats.map((s) => s.offlineMs)
  const withGap = stats.filter((s) => s.gaps > 0).length
  return {...spread(gaps), usersWithGap: withGap}
}

/** t in seconds from `origin`, to the hundredth. */
export function timeline(samples: NodeCountSample[], origin: number): TimelinePoint[] {
  return samples.map((s) => ({t: Math.round(((s.t - origin) / 1000) * 100) / 100, ...s.counts, callMs: s.callMs}))
}
