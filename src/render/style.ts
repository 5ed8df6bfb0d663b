import {Chalk, type ChalkInstance} from 'chalk'

/** What decides colour: the stream written to and the environment (both injected, for tests). */
export interface ColorStream {
  isTTY?: boolean
  hasColors?: (env?: object) => boolean
}

/**
 * Colour on a terminal that can show it, by Node's own rules (`stream.hasColors()`: NO_COLOR,
 * FORCE_COLOR, TERM=dumb, the terminal's depth), never in CI unless FORCE_COLOR asks for it
 * (a CI log is a file, whatever the runner's pseudo-terminal says), and on a pipe only when
 * FORCE_COLOR asks (log viewers that render ANSI).
 */
export function useColor(stream: ColorStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = env.FORCE_COLOR !== undefined
  if (!stream.isTTY || typeof stream.hasColors !== 'function') return forced && !['0', 'false'].includes(env.FORCE_COLOR!)
  if (!forced && isCI(env)) return false
  return stream.hasColors(env)
}

/** `CI=true` (GitHub, GitLab, our own .ci/run); `CI=false` or `CI=0` says it is not one. */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && !['false', '0'].includes(env.CI.toLowerCase())
}

export function makeStyle(stream: ColorStream = process.stdout, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  return new Chalk({level: useColor(stream, env) ? 1 : 0})
}
