import {isCI} from '../render/style.js'

/** Whether a person is there to answer a prompt: a terminal on both ends, and not a CI job (which may fake one). */
export function canPrompt(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !isCI(env)
}
