// The drain an operator gets without asking: make-before-break at xtransfer's default --rate.
import {DEFAULT_RATE} from '../settings.js'
import type {Phase} from './phase.js'
import {runDrain} from './drain-scenario.js'

export const drainDefault: Phase<'drainDefault'> = {
  name: 'drain-default',
  key: 'drainDefault',
  // The main drain already ran at the default pace.
  applies: (ctx) => ctx.rate !== DEFAULT_RATE,
  run: (ctx) => runDrain(ctx, {rate: DEFAULT_RATE, label: 'drain-default'}),
}
