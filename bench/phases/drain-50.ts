// The same drain at a fixed --rate 50: xtransfer's default before --rate auto, about half of
// this lab's floor. The adaptive pace is judged against it and against 0.9 × the floor.
import {FIXED_RATE} from '../settings.js'
import type {Phase} from './phase.js'
import {runDrain} from './drain-scenario.js'

export const drain50: Phase<'drain50'> = {
  name: 'drain-50',
  key: 'drain50',
  // The main drain already ran at this pace (BENCH_RATE=50).
  applies: (ctx) => ctx.rate !== FIXED_RATE,
  run: (ctx) => runDrain(ctx, {rate: FIXED_RATE, label: 'drain-50'}),
}
