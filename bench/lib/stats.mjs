// Small statistics over timestamps and durations.

/** Nearest-rank percentile (as xtransfer's report computes it); null for no values. */
export function percentile(values, p) {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** p50/p95/p99/max of durations (ms), rounded. */
export function spread(values) {
  const r = (v) => (v === null ? null : Math.round(v))
  return {p50: r(percentile(values, 50)), p95: r(percentile(values, 95)), p99: r(percentile(values, 99)), max: values.length ? r(Math.max(...values)) : null}
}

/**
 * How long after `origin` the `share` (0–1) of `expected` events had happened, in s;
 * null if fewer happened.
 */
export function timeToShare(times, expected, share, origin) {
  const needed = Math.ceil(expected * share)
  if (needed === 0) return 0
  if (times.length < needed) return null
  const sorted = [...times].sort((a, b) => a - b)
  return (sorted[needed - 1] - origin) / 1000
}

/** The most events in any `windowMs` window, per second. */
export function peakRate(times, windowMs = 1000) {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= windowMs) start++
    best = Math.max(best, end - start + 1)
  }
  return (best * 1000) / windowMs
}

/** Events per second over the span from the first to the last (null for fewer than 2). */
export function meanRate(times) {
  if (times.length < 2) return null
  const span = (Math.max(...times) - Math.min(...times)) / 1000
  return span > 0 ? (times.length - 1) / span : null
}

export function r1(value) {
  return value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value * 10) / 10
}
