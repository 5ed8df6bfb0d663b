import {closest, distance} from 'fastest-levenshtein'

/**
 * The known name nearest to a mistyped one, when it is near enough to be a typo:
 * `node-9` -> `node-1`, `domian` -> `domain`. fastest-levenshtein: a small, maintained
 * edit-distance library (used by webpack-cli and eslint's own suggestions).
 */
export function didYouMean(typed: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined
  const best = closest(typed, [...known])
  return distance(typed, best) <= Math.max(1, Math.floor(typed.length / 3)) ? best : undefined
}

/** ` (did you mean "x"?)` or nothing. */
export function suggestion(typed: string, known: readonly string[]): string {
  const best = didYouMean(typed, known)
  return best ? ` (did you mean "${best}"?)` : ''
}
