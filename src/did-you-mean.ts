import {distance as editDistance} from 'fastest-levenshtein'

/**
 * "Did you mean": the known name closest to what was typed, as git, kubectl and oclif's
 * plugin-not-found suggest one. Edit distance from fastest-levenshtein (small, maintained,
 * what webpack-cli uses), case-insensitive; a swap of neighbours costs two (`domian` is
 * two steps from `domain`, within the limit).
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const typed = input.toLowerCase()
  // Up to 40% of the longer name, at most 3: `dran` → `drain`, not `nodes` → `probe`.
  const limit = (other: string) => Math.min(3, Math.max(1, Math.floor(Math.max(typed.length, other.length) * 0.4)))
  let best: {name: string; distance: number} | undefined
  for (const name of candidates) {
    const other = name.toLowerCase()
    if (other === typed) return name
    // One is the other cut short or run on (`--dry` → `--dry-run`, `apiUrl` → `api`).
    const prefix = Math.min(typed.length, other.length) >= 3 && (other.startsWith(typed) || typed.startsWith(other))
    const distance = prefix ? 1 : editDistance(typed, other)
    if (distance <= limit(other) && (!best || distance < best.distance)) best = {name, distance}
  }
  return best?.name
}

/** ` (did you mean "x"?)`, or nothing when no known name is close. */
export function didYouMean(input: string, candidates: Iterable<string>, quote = '"'): string {
  const match = closest(input, candidates)
  return match === undefined ? '' : ` (did you mean ${quote}${match}${quote}?)`
}
