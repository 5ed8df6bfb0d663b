import {join} from 'node:path'

import {xdgState} from 'xdg-basedir'

/** `$XTRANSFER_STATE_DIR`, else `$XDG_STATE_HOME/xtransfer`, else `~/.local/state/xtransfer`; runs live in `runs/`. */
export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XTRANSFER_STATE_DIR) return join(env.XTRANSFER_STATE_DIR, 'runs')
  const base = env.XDG_STATE_HOME || xdgState || join(env.HOME ?? '.', '.local', 'state')
  return join(base, 'xtransfer', 'runs')
}
