// The login floor: fresh PLAIN logins of the same users, same client code, same workers
// and parallelism, spread over the drain's targets. No drain can beat it; every later
// phase is judged against it, and the main drain's pace is derived from it.
import {timeline} from '../analysis/fleet-figures.js'
import {peakRate, r1, spread, sum, timeToShare} from '../analysis/stats.js'
import type {BenchContext} from '../context.js'
import {serviceOf} from '../lab/lab-info.js'
import {startSampler} from '../lab/sampler.js'
import {cpuSince, cpuSnapshot} from '../steps/cpu.js'
import {fleetBasics, loginTimeoutMs, stopFleet} from '../steps/fleet-steps.js'
import type {Phase} from './phase.js'

export const floor: Phase<'floor', BenchContext> = {
  name: 'floor',
  key: 'floor',
  async run(ctx) {
    const {lab, pool, slices, settings, clock} = ctx
    const N = settings.users
    ctx.say(`floor: ${N} fresh logins over node-2 and node-3`)
    const targets = lab.nodes.slice(1).map(serviceOf)
    const sampler = startSampler(lab, ctx.api, {everyMs: settings.sampleMs, how: settings.sampler})
    const cpu0 = await cpuSnapshot(ctx)
    const goAt = clock.now()
    const logins = await pool.all(
      'login',
      (w) => ({
        ...fleetBasics(ctx),
        groups: targets.map((service, k) => ({service, users: slices[w].filter((_, i) => i % targets.length === k)})),
      }),
      loginTimeoutMs(N),
    )
    const doneAt = Math.max(...logins.map((login) => login.endedAt))
    const cpu = cpuSince(cpu0, await cpuSnapshot(ctx))
    const collected = await pool.all('collect')
    await clock.sleep(500)
    const samples = await sampler.stop()
    await stopFleet(ctx)
    const onlineAt = collected.flatMap((c) => c.log.online.map(([t]) => t))
    const loginMs = collected.flatMap((c) => c.log.online.map(([, ms]) => ms))
    const failures = logins.flatMap((login) => login.failures)
    const seconds = (doneAt - goAt) / 1000
    return {
      what: `${N} fresh PLAIN logins (startFleet) over ${targets.length} nodes, ${settings.workers} workers × parallelism ${settings.parallelism}`,
      users: N,
      online: onlineAt.length,
      timeS: r1(seconds),
      online99S: r1(timeToShare(onlineAt, N, 0.99, goAt)),
      loginsPerS: r1(onlineAt.length / seconds),
      peakLoginsPerS: peakRate(onlineAt),
      loginMs: spread(loginMs),
      failedLogins: sum(collected, (c) => c.log.loginFailed),
      failedLoginSample: collected.flatMap((c) => c.log.loginErrors).slice(0, 5),
      fleetStartFailures: failures,
      cpu,
      timeline: timeline(samples, goAt),
      samplerFailures: sampler.failures,
    }
  },
}
