// Issue 12 §5: N sessions of unmodified @xmpp/client apps (no helper; stream management on;
// caps https://xmpp.js.org, so the ladder knows the library) on node-1, drained with the
// defaults: no pace flag, the default ladder (packet, handover, redirect, close), the
// companion's cordon. They answer the packet service-unavailable, so the handover moves
// them: the socket closes with no stream error and the library resumes its XEP-0198 session
// on node-2/node-3 after its own 1 s delay. Targets (reported, never asserted): 0 messages
// lost; offline gap p99 ≤ the reconnect delay + 0.5 s; 0 sessions left on node-1.
import type {Phase} from './phase.js'
import {runDrain} from './drain-scenario.js'

export const drainOrdinary: Phase<'drainOrdinary'> = {
  name: 'drain-ordinary',
  key: 'drainOrdinary',
  run: (ctx) => runDrain(ctx, {rate: 'auto', label: 'drain-ordinary', population: 'ordinary'}),
}
