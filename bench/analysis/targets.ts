// The bench's targets (docs/performance.md; issue 14 §3 and §3b, issue 12 §5), judged on one
// run's figures: met, missed, or n/a (not measurable at this N or pace). Printed, never asserted.
import {drainTitle} from '../render/figures.js'
import type {BenchResult, DrainFigures, Target} from '../results.js'
import {ORDINARY_RECONNECT_DELAY_MS} from '../steps/fleet-steps.js'

/** Issue 14 §3: the default drain ends within this share of the floor measured in the same run. */
export const WALL_TARGET = 1.15
/** Issue 12 §5: an ordinary client's gap is its own reconnect delay plus this much, at most. */
const GAP_SLACK_MS = 500

export function judgeTargets(result: BenchResult): Target[] {
  const N = result.settings.users
  const {floor, drain, drainDefault, drain50, drainBbm, drainOrdinary, kick, stopNode} = result.phases
  const floorRate = floor?.loginsPerS
  const helperDrains = [drainDefault, drain, drain50].filter((run): run is DrainFigures => Boolean(run))
  const targets: Target[] = []
  for (const run of helperDrains) {
    const title = drainTitle(run, floorRate)
    const moved = run.report?.summary.moved
    const complete = moved === N
    if (floor) {
      const ratio = Number(run.cli.wallS) / Number(floor.timeS)
      const tail = run.reconnected100S === null ? '' : `; first packet to 100 % reconnected: ${(run.reconnected100S / Number(floor.timeS)).toFixed(2)}×`
      targets.push({
        target: `${title}: start to exit ≤ ${WALL_TARGET} × floor time (same run)`,
        value: `${run.cli.wallS} s / ${floor.timeS} s = ${ratio.toFixed(2)}×${tail}${complete ? '' : ` — moved ${moved ?? '?'} of ${N}${run.report?.error ? `; stopped: ${run.report.error}` : ''}`}`,
        met: complete && ratio <= WALL_TARGET,
      })
    }
    targets.push({target: `${title}: 0 failed logins`, value: String(run.failedLogins), met: run.failedLogins === 0})
    const m = run.messages
    targets.push({
      target: `${title}: 0 messages lost, 0 duplicated (§3b)`,
      value: m ? `${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}; gap p99 ${run.offlineGapMs.p99} ms` : 'no messages sent',
      met: m ? m.lost === 0 && m.duplicated === 0 : null,
    })
    targets.push({
      target: `${title}: 100 % of sessions tracked to their new node`,
      value: `${run.trackedToRightNode} / ${N} (moved ${moved ?? '?'})`,
      met: run.trackedToRightNode === N,
    })
  }
  if (helperDrains.length) {
    const rss = Math.max(...helperDrains.map((run) => Number(run.cli.peakRssMb)))
    targets.push({target: 'xtransfer peak RSS ≤ 150 MB at 5,000 sessions', value: `${rss} MB at ${N} sessions`, met: N >= 5000 ? rss <= 150 : null})
  }
  if (drainBbm) {
    const m = drainBbm.messages
    targets.push({
      target: `${drainTitle(drainBbm, floorRate)}: offline gap p99 ≤ 0.3 s`,
      value: `gap p50 / p99 / max ${drainBbm.offlineGapMs.p50} / ${drainBbm.offlineGapMs.p99} / ${drainBbm.offlineGapMs.max} ms${m ? `; messages: ${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : ''}`,
      met: drainBbm.offlineGapMs.p99 !== null && drainBbm.offlineGapMs.p99 <= 300,
    })
  }
  if (drainOrdinary) {
    const run = drainOrdinary
    const m = run.messages
    const gapBound = ORDINARY_RECONNECT_DELAY_MS + GAP_SLACK_MS
    const per = (run.report?.summary.perMethod ?? {}) as Record<string, number>
    targets.push({
      target: 'ordinary clients (ladder): 0 messages lost',
      value: m ? `${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : 'no messages sent',
      met: m ? m.lost === 0 : null,
    })
    targets.push({
      target: `ordinary clients (ladder): offline gap p99 ≤ ${gapBound} ms (reconnect delay + 0.5 s)`,
      value: `gap p50 / p99 / max ${run.offlineGapMs.p50} / ${run.offlineGapMs.p99} / ${run.offlineGapMs.max} ms; ${run.resumed ?? '?'} resumed; moved by ${Object.entries(
        per,
      )
        .map(([method, n]) => `${method} ${n}`)
        .join(', ')}`,
      met: run.offlineGapMs.p99 !== null && run.offlineGapMs.p99 <= gapBound,
    })
    targets.push({
      target: 'ordinary clients (ladder): 0 sessions left on node-1',
      value: `${run.leftOnSource ?? '?'} left; node-1 empty ${run.emptyS ?? '–'} s after the first packet; CLI start to exit ${run.cli.wallS} s`,
      met: run.leftOnSource === null || run.leftOnSource === undefined ? null : run.leftOnSource === 0,
    })
  }
  for (const [name, run] of [
    ['kick-all', kick],
    ['stop node-1', stopNode],
  ] as const) {
    if (!run) continue
    const m = run.messages
    targets.push({
      target: `(context) ${name}, unmodified @xmpp/client: time to 100 % back, gap, messages`,
      value: `${run.back100S} s, ${run.failedLogins} failed logins, gap p50 / p99 ${run.offlineGapMs.p50} / ${run.offlineGapMs.p99} ms${m ? `; ${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : ''}`,
      met: null,
    })
  }
  return targets
}
