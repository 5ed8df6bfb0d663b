import {join} from 'node:path'

import {xdgState} from 'xdg-basedir'

/** `$XTRANSFER_STATE_DIR`, else `$XDG_STATE_HOME/xtransfer`, else `~/.local/state/xtransfer`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XTRANSFER_STATE_DIR) return env.XTRANSFER_STATE_DIR
  const base = env.XDG_STATE_HOME || xdgState || join(env.HOME ?? '.', '.local', 'state')
  return join(base, 'xtransfer')
}

/** Journals live in `runs/` of the state dir. */
export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  return runsIn(stateDir(env))
}

export function runsIn(state: string): string {
  return join(state, 'runs')
}
