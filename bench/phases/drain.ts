// The main drain: make-before-break followers, at the pace chosen from the floor
// (0.9 × the floor by default, BENCH_RATE to fix it).
import type {Phase} from './phase.js'
import {runDrain} from './drain-scenario.js'

export const drain: Phase<'drain'> = {
  name: 'drain',
  key: 'drain',
  run: (ctx) => runDrain(ctx, {rate: ctx.rate, label: 'drain'}),
}
