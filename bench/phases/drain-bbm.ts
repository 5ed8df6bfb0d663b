// The break-before-make drain at the default pace (no pace flag: --rate auto): followers
// close their old session before binding the new one, so each has an offline gap (target:
// p99 ≤ 0.3 s).
import type {Phase} from './phase.js'
import {runDrain} from './drain-scenario.js'

export const drainBbm: Phase<'drainBbm'> = {
  name: 'drain-bbm',
  key: 'drainBbm',
  run: (ctx) => runDrain(ctx, {rate: 'auto', label: 'drain-bbm', mode: 'break-before-make'}),
}
