// The CLI's CPU and peak RSS as GNU time (-v) wrote them.
import {existsSync, readFileSync} from 'node:fs'

export interface TimeV {
  userS: number
  systemS: number
  maxRssKb: number
}

/** null when the file is missing or has no peak RSS. */
export function parseTimeV(path: string): TimeV | null {
  if (!existsSync(path)) return null
  const text = readFileSync(path, 'utf8')
  const num = (label: string) => Number(new RegExp(`${label}:\\s*([\\d.]+)`).exec(text)?.[1] ?? NaN)
  const value = {userS: num('User time \\(seconds\\)'), systemS: num('System time \\(seconds\\)'), maxRssKb: num('Maximum resident set size \\(kbytes\\)')}
  return Number.isFinite(value.maxRssKb) ? value : null
}
