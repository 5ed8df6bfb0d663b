import {Chalk, type ChalkInstance} from 'chalk'

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function makeStyle(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const useColor = Boolean(stream.isTTY) && !env.NO_COLOR
  return new Chalk({level: useColor ? 1 : 0})
}
