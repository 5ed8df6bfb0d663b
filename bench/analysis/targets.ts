// The bench's targets (docs/performance.md), judged on one run's figures: met, missed, or
// n/a (not measurable at this N or pace). Printed, never asserted.
import type {BenchResult, DrainFigures, Target} from '../results.js'
import {DEFAULT_RATE} from '../settings.js'

export function judgeTargets(result: BenchResult): Target[] {
  const N = result.settings.users
  const {floor, drain, drainDefault, drainBbm, kick, stopNode} = result.phases
  const drains = [drain, drainDefault].filter((run): run is DrainFigures => Boolean(run))
  const targets: Target[] = []
  if (floor && drain) {
    // Number(): a missing figure counts as 0, as it always did in this arithmetic.
    const ratio = Number(drain.cli.wallS) / Number(floor.timeS)
    const complete = drain.report?.summary.moved === N
    const why = complete
      ? ''
      : ` — but the run did not move every session (moved ${drain.report?.summary.moved ?? '?'}${drain.report?.error ? `; stopped: ${drain.report.error}` : ''})`
    const tail =
      drain.reconnected100S === null
        ? ''
        : `; first packet to 100 % reconnected: ${drain.reconnected100S} s = ${(drain.reconnected100S / Number(floor.timeS)).toFixed(2)}×`
    targets.push({
      target: 'drain wall time ≤ 1.3 × floor time (same N)',
      value: `${drain.cli.wallS} s / ${floor.timeS} s = ${ratio.toFixed(2)}× (CLI start to exit at --rate ${drain.rate}${tail})${why}`,
      met: complete && ratio <= 1.3,
    })
  }
  for (const run of drains) {
    targets.push({
      target: `100 % of sessions tracked to their new node (--rate ${run.rate})`,
      value: `${run.trackedToRightNode} / ${N} (moved ${run.report?.summary.moved ?? '?'})`,
      met: run.trackedToRightNode === N,
    })
  }
  const atDefault = drainDefault ?? (drain?.rate === DEFAULT_RATE ? drain : null)
  if (atDefault)
    targets.push({target: 'zero failed logins at the default pace (--rate 50)', value: String(atDefault.failedLogins), met: atDefault.failedLogins === 0})
  if (drain) {
    const rss = Math.max(...drains.map((run) => Number(run.cli.peakRssMb)))
    targets.push({target: 'xtransfer peak RSS ≤ 150 MB at 5,000 sessions', value: `${rss} MB at ${N} sessions`, met: N >= 5000 ? rss <= 150 : null})
    const w = drain.directory?.whileWatching
    if (w) {
      const proportional = w.listings === 0
      targets.push({
        target: 'directory work per poll proportional to sessions still pending',
        value: `${w.listings} listings of the whole cluster (~${w.listingBytesPerCall} bytes each, pending ${w.pendingAtListings?.min}–${w.pendingAtListings?.max}) + ${w.perUserCalls} per-user calls`,
        met: proportional,
      })
    }
  }
  for (const run of drains) {
    const m = run.messages
    const gap = run.offlineGapMs
    targets.push({
      target: `make-before-break drain (--rate ${run.rate}): offline gap p99 = 0, 0 messages lost, 0 duplicated`,
      value: `gap p99 ${gap.p99} ms (max ${gap.max}); ${m ? `${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : 'no messages sent'}`,
      met: gap.p99 === 0 && (m ? m.lost === 0 && m.duplicated === 0 : null),
    })
  }
  if (drainBbm) {
    const m = drainBbm.messages
    targets.push({
      target: `break-before-make drain: offline gap p99 ≤ 0.3 s at the default pace (--rate ${drainBbm.rate})`,
      value: `gap p50 / p99 / max ${drainBbm.offlineGapMs.p50} / ${drainBbm.offlineGapMs.p99} / ${drainBbm.offlineGapMs.max} ms${m ? `; messages: ${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : ''}`,
      met: drainBbm.rate === DEFAULT_RATE ? drainBbm.offlineGapMs.p99 !== null && drainBbm.offlineGapMs.p99 <= 300 : null,
    })
  }
  for (const [name, run] of [
    ['kick-all', kick],
    ['stop node-1', stopNode],
  ] as const) {
    if (!run) continue
    const m = run.messages
    targets.push({
      target: `(context) ${name}: time to 100 % back, gap, messages`,
      value: `${run.back100S} s, ${run.failedLogins} failed logins, gap p50 / p99 ${run.offlineGapMs.p50} / ${run.offlineGapMs.p99} ms${m ? `; ${m.lost} lost, ${m.duplicated} duplicated of ${m.sent}` : ''}`,
      met: null,
    })
  }
  return targets
}
