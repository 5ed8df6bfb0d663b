// The drain an operator gets without asking: make-before-break, no pace flag at all, so
// --rate auto (the adaptive pacer, engine/pace/adaptive-pacer.ts). Issue 14 §3: it must end
// within 1.15 × the floor with no failed login and no message lost.
import type {Phase} from './phase.js'
import {runDrain} from './drain-scenario.js'

export const drainDefault: Phase<'drainDefault'> = {
  name: 'drain-default',
  key: 'drainDefault',
  run: (ctx) => runDrain(ctx, {rate: 'auto', label: 'drain-default'}),
}
