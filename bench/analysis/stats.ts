// Small statistics over timestamps and durations. The percentile is xtransfer's own
// (src/engine/stats.ts), so the bench's p99 is the report's p99.
import {percentile} from '../../src/engine/stats.js'

export interface Spread {
  p50: number | null
  p95: number | null
  p99: number | null
  max: number | null
}

/** `value` to `digits` decimals; null for null, undefined, NaN and ±Infinity. */
export function round(value: number | null | undefined, digits = 1): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export function r1(value: number | null | undefined): number | null {
  return round(value, 1)
}

/** p50/p95/p99/max of durations (ms), rounded. */
export function spread(values: number[]): Spread {
  const r = (v: number | null) => (v === null ? null : Math.round(v))
  return {p50: r(percentile(values, 50)), p95: r(percentile(values, 95)), p99: r(percentile(values, 99)), max: values.length ? r(largest(values)) : null}
}

/** Math.max over any number of values: spreading 120,000 message delays into Math.max overflows the stack. */
export function largest(values: readonly number[]): number {
  return values.reduce((a, b) => (b > a ? b : a), -Infinity)
}

export function smallest(values: readonly number[]): number {
  return values.reduce((a, b) => (b < a ? b : a), Infinity)
}

/**
 * How long after `origin` the `share` (0–1) of `expected` events had happened, in s;
 * null if fewer happened.
 */
export function timeToShare(times: number[], expected: number, share: number, origin: number): number | null {
  const needed = Math.ceil(expected * share)
  if (needed === 0) return 0
  if (times.length < needed) return null
  const sorted = [...times].sort((a, b) => a - b)
  return (sorted[needed - 1] - origin) / 1000
}

/** The most events in any `windowMs` window, per second. */
export function peakRate(times: number[], windowMs = 1000): number {
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
export function meanRate(times: number[]): number | null {
  if (times.length < 2) return null
  const span = (largest(times) - smallest(times)) / 1000
  return span > 0 ? (times.length - 1) / span : null
}

export function sum<T>(list: readonly T[], pick: (item: T) => number): number {
  return list.reduce((total, item) => total + pick(item), 0)
}

export function countBy<T>(list: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of list) out[key(item)] = (out[key(item)] ?? 0) + 1
  return out
}
