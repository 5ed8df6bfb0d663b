// Baseline: node-1 stopped as an operator would (ejabberdctl stop, through
// test/lab/node.sh) under the fleet; unmodified @xmpp/client reconnect (1 s delay) to
// node-2/node-3. node-1 is started again afterwards, so this phase runs last.
import {r1} from '../analysis/stats.js'
import type {BenchContext} from '../context.js'
import {labInfo} from '../lab/lab-info.js'
import {startSampler} from '../lab/sampler.js'
import {cpuSnapshot} from '../steps/cpu.js'
import {runLabScript} from '../steps/lab-script.js'
import {startMessages} from '../steps/message-traffic.js'
import {fleetReadyToReconnect, reconnectFigures} from './baseline.js'
import type {Phase} from './phase.js'

export const stopNode: Phase<'stopNode', BenchContext> = {
  name: 'stop-node',
  key: 'stopNode',
  async run(ctx) {
    const {lab, api, settings, clock, root} = ctx
    const setup = await fleetReadyToReconnect(ctx, 'stop-node')
    ctx.say("stop-node: test/lab/node.sh stop 1 (ejabberdctl stop, then the node's PID exits)")
    const sampler = startSampler(lab, api, {everyMs: settings.sampleMs, how: settings.sampler})
    const cpu0 = await cpuSnapshot(ctx)
    await startMessages(ctx, 'stop-node')
    const stopStart = clock.now()
    const stop = await runLabScript(root, ['stop', '1'], 120_000)
    const stopEnd = clock.now()
    if (stop.code !== 0) ctx.say(`stop-node: node.sh stop 1 exited ${stop.code}: ${stop.output.slice(-300)}`)
    const comeBack = await reconnectFigures(ctx, {sampler, cpu0, origin: stopStart, apiNode: 1, tag: 'stop-node'})
    ctx.say('stop-node: starting node-1 again')
    const startAgain = await runLabScript(root, ['start', '1'], 240_000)
    if (startAgain.code === 0) lab.nodes[0].pid = labInfo(lab.dir).nodes[0].pid
    else ctx.say(`stop-node: node.sh start 1 exited ${startAgain.code}: ${startAgain.output.slice(-300)}`)
    return {
      what: `test/lab/node.sh stop 1 (ejabberdctl stop) under ${settings.users} sessions; unmodified @xmpp/client reconnect (1 s delay) to node-2/node-3; server CPU of node-2 and node-3 only (node-1's ends with it)`,
      users: settings.users,
      fleetSetup: setup,
      stopS: r1((stopEnd - stopStart) / 1000),
      stopExitCode: stop.code,
      restarted: startAgain.code === 0,
      ...comeBack,
    }
  },
}
