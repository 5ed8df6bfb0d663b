/**
 * "Did you mean": the known name closest to what was typed, as git, kubectl and oclif's
 * plugin-not-found suggest one. Distance is optimal string alignment (a swap of two
 * neighbours counts once: `domian` is one step from `domain`), case-insensitive.
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

function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1)
    }
  }
  return rows[a.length][b.length]
}
