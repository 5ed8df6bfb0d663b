// Where one cluster listing (connected_users_info) becomes cheaper than a per-user call
// (user_sessions_info) for each pending user, from measured costs. Pure: bench/tracking/crossover.ts
// measures, this reads the measurements.

/** One cluster size, one way of authenticating: what a call cost the servers (beam CPU) and the caller (wall). */
export interface CostSample {
  sessions: number
  auth: 'basic' | 'token'
  /** connected_users_info: per call. */
  listing: {cpuMs: number; wallMs: number; bytes: number}
  /** user_sessions_info, one at a time: per call. */
  perUser: {cpuMs: number; wallMs: number; bytes: number}
  /** A poll of `users` pending users, 16 calls in flight (as the directory makes them): per poll. */
  polls: Array<{users: number; cpuMs: number; wallMs: number}>
}

export interface Crossover {
  sessions: number
  auth: 'basic' | 'token'
  /** Pending users at which a poll of per-user calls costs the servers as much CPU as one listing. */
  byServerCpu: number
  /** … at which a poll takes as long as one listing (the tracker waits for either). */
  byWallTime: number | null
}

/** Least squares y = a + b·x. */
export function fitLine(points: Array<[number, number]>): {a: number; b: number} {
  const n = points.length
  if (n === 0) return {a: 0, b: 0}
  if (n === 1) return {a: points[0][1], b: 0}
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  const b = sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx
  return {a: my - b * mx, b}
}

export function crossover(sample: CostSample): Crossover {
  const byServerCpu = sample.perUser.cpuMs > 0 ? sample.listing.cpuMs / sample.perUser.cpuMs : Infinity
  // A poll's wall time grows about linearly with its users (16 in flight): where it meets the listing's.
  const wall = fitLine(sample.polls.map((poll) => [poll.users, poll.wallMs]))
  const byWallTime = wall.b > 0 ? Math.max(0, (sample.listing.wallMs - wall.a) / wall.b) : null
  return {sessions: sample.sessions, auth: sample.auth, byServerCpu: Math.round(byServerCpu), byWallTime: byWallTime === null ? null : Math.round(byWallTime)}
}

/**
 * The threshold the directory uses, as a line in the cluster's size: pending users above
 * `fixed + perSession × sessions` are cheaper to find with one listing. From the listing's
 * CPU as a line in the sessions and a per-user call's CPU (mean over the sizes measured).
 */
export function thresholdModel(
  samples: CostSample[],
  auth: 'basic' | 'token',
): {fixed: number; perSession: number; perUserCpuMs: number; listing: {a: number; b: number}} | undefined {
  const mine = samples.filter((sample) => sample.auth === auth)
  if (mine.length === 0) return undefined
  const listing = fitLine(mine.map((sample) => [sample.sessions, sample.listing.cpuMs]))
  const perUserCpuMs = mine.reduce((sum, sample) => sum + sample.perUser.cpuMs, 0) / mine.length
  return {fixed: listing.a / perUserCpuMs, perSession: listing.b / perUserCpuMs, perUserCpuMs, listing}
}
