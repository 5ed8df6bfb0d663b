// bench:scale's simulation and figures: the simulated clients climb the ladder they should, the
// two ways of planning agree, and the growth and targets are read right.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {describe, test} from 'node:test'

import {growthOf, judgeTargets, type ScenarioResult} from '../../bench/scale/analysis.js'
import {DEFAULT_MIX, pickKind} from '../../bench/scale/clients.js'
import {planStep, reportStep, runStep, type ScenarioSpec} from '../../bench/scale/scenario.js'
import {simDirectory} from '../../bench/scale/sim-directory.js'
import {SimulatedWorld} from '../../bench/scale/world.js'
import {VirtualClock} from '../support/virtual-clock.js'
import {seededRandom} from '../support/seeded-random.js'

const quiet = () => {}

describe('the simulated cluster', () => {
  test('sessions are spread as asked, node-1 holding its share, and the directory lists them as the engine reads them', async () => {
    const clock = new VirtualClock(1_000_000)
    const world = new SimulatedWorld({clock, random: seededRandom(3), nodes: 4, sessions: 1_000, onFirstNode: 100, mix: DEFAULT_MIX, nodeCapacity: 50})
    assert.deepEqual(
      world.nodes.map((node) => node.sessions),
      [100, 300, 300, 300],
    )
    const directory = simDirectory(world, {nodeCalls: true})
    const onFirst = await clock.run(directory.sessionsOn!('node-1'))
    assert.equal(onFirst.length, 100)
    assert.ok(onFirst.every((session) => session.node === 'node-1' && session.jid === `${session.bare}/${session.resource}`))
    assert.deepEqual(Object.fromEntries(await clock.run(directory.sessionCounts!())), {'node-1': 100, 'node-2': 300, 'node-3': 300, 'node-4': 300})
    const one = onFirst[0]!
    const found = await clock.run(directory.sessionsOf([one.bare, 'nobody@example.test']))
    assert.deepEqual(found.get(one.bare), [one])
    assert.deepEqual(found.get('nobody@example.test'), [])
    assert.deepEqual(directory.usage.sessionsOn, {calls: 1, rows: 100, simMs: directory.usage.sessionsOn!.simMs})
  })

  test('client kinds follow the mix', () => {
    const counts = [0, 0, 0, 0]
    const random = seededRandom(1)
    for (let i = 0; i < 10_000; i++) counts[pickKind(DEFAULT_MIX, random())]! += 1
    assert.ok(Math.abs(counts[0]! - 6_000) < 300 && Math.abs(counts[1]! - 2_500) < 250 && Math.abs(counts[2]! - 1_400) < 200, String(counts))
    assert.ok(counts[3]! > 40 && counts[3]! < 170, String(counts))
  })
})

describe('a small drain through the real engine', () => {
  const spec: ScenarioSpec = {
    name: 'tiny',
    kind: 'drain',
    sessions: 2_000,
    nodes: 5,
    rate: 200,
    concurrency: 500,
    nodeCapacity: 50,
    seed: 7,
    renderMaxRows: 50,
  }

  test('helpers take the packet, measured clients a handover, the others a redirect; the silent ones end offline', async () => {
    const planned = await planStep(spec, quiet)
    const ran = await runStep(spec, quiet)
    try {
      assert.equal(planned.fingerprint, ran.fingerprint)
      assert.equal(ran.planned, 400)
      const {summary, exitCode} = ran.run
      const byMethod = summary.perMethod
      assert.ok(byMethod.packet! > 180 && byMethod.handover! > 60 && byMethod.redirect! > 30, JSON.stringify(byMethod))
      // The silent (unreachable) clients: no answer, redirected, never back.
      assert.equal(summary.moved + summary.wentOffline, 400, JSON.stringify(summary))
      assert.ok(summary.wentOffline > 0 && summary.wentOffline < 15)
      assert.equal(exitCode, 1)
      assert.equal(ran.run.failedLogins, 0)
      const reported = await reportStep(spec, ran.stateDir, ran.runId, quiet)
      assert.equal(reported.rows, 400)
      assert.equal(reported.phases['report render -o wide']!.renderedRows, 50)
      assert.equal(reported.phases['report render']!.renderedRows, undefined, 'the default view renders the whole report')
      assert.ok(ran.journal.lines > 400 * 4, `${ran.journal.lines} journal lines`)
    } finally {
      rmSync(ran.stateDir, {recursive: true, force: true})
    }
  })
})

describe('growth and targets', () => {
  const phase = (cpuMs: number, peakRssMb = 150) => ({
    cpuMs,
    wallMs: cpuMs,
    rssBeforeMb: 100,
    peakRssMb,
    heapAfterMb: 50,
    peakIsPhases: true,
    step: 'run' as const,
  })
  const result = (sessions: number, moved: number, phases: ScenarioResult['phases']): ScenarioResult =>
    ({
      name: 'drain-fixed',
      what: '',
      spec: {name: 'drain-fixed', kind: 'drain', sessions, nodes: 20, rate: 500, concurrency: 2000, nodeCapacity: 50, seed: 1, renderMaxRows: 5000},
      moved,
      baselineRssMb: {run: 100},
      phases,
      run: {} as ScenarioResult['run'],
      journal: {bytes: 0, lines: 0, rows: moved},
    }) satisfies ScenarioResult

  test('k is 1 for a phase linear in the sessions moved, 2 for a quadratic one, and the cluster exponent is read apart', () => {
    const growth = growthOf([result(10_000, 500, {run: phase(100), plan: phase(50)}), result(1_000_000, 50_000, {run: phase(10_000), plan: phase(500_000)})])
    const of = (name: string) => growth.find((g) => g.phase === name)!
    assert.equal(of('run').exponentMoved!.toFixed(2), '1.00')
    assert.equal(of('plan').exponentMoved!.toFixed(2), '2.00')
    assert.equal(of('run').exponentCluster!.toFixed(2), '1.00')
  })

  test('the targets: met or missed on the largest cluster, each with what was measured', () => {
    const targets = judgeTargets([
      result(1_000_000, 50_000, {
        plan: phase(3_500, 420),
        'plan, node calls': phase(600, 180),
        run: phase(7_000, 260),
        'report RUN': phase(1_900, 240),
      }),
    ])
    assert.deepEqual(
      targets.map((target) => target.verdict),
      ['met', 'missed', 'missed', 'met'],
    )
    assert.match(targets[2]!.measured, /highest 420 MB \(drain-fixed, plan\); over: drain-fixed plan 420 MB/)
  })
})
