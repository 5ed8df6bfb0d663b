import type {RunEvent} from '../engine/run-transfers.js'

export interface ProgressCounts {
  total: number
  sent: number
  acked: number
  moved: number
  settled: number
}

/**
 * Progress kept apart from the work: on a terminal one line rewritten in place,
 * otherwise a plain line every so often, on stderr so stdout stays the report.
 */
export function createProgress(total: number, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now) {
  const counts: ProgressCounts = {total, sent: 0, acked: 0, moved: 0, settled: 0}
  const tty = Boolean(stream.isTTY)
  let lastLine = 0
  let timer: NodeJS.Timeout | undefined

  const line = () => `sent ${counts.sent}/${total}  acked ${counts.acked}  reconnected ${counts.moved}  settled ${counts.settled}/${total}`
  const draw = () => {
    if (tty) stream.write(`\r\x1b[2K${line()}`)
  }
  if (tty) timer = setInterval(draw, 200)

  return {
    counts,
    onEvent(event: RunEvent) {
      if (event.type === 'sending' || event.type === 'retargeted' || event.type === 'acting') return
      if (event.type === 'sent' || event.type === 'acted') {
        // A session counts as sent once, at its first move.
        if (event.record.rungs.length === 1) counts.sent++
        if (event.type === 'sent' && event.record.ack.kind === 'result') counts.acked++
      } else {
        counts.settled++
        if (event.record.outcome === 'moved') counts.moved++
      }
      if (!tty && (now() - lastLine >= 5000 || counts.settled === total)) {
        lastLine = now()
        stream.write(`${line()}\n`)
      }
    },
    done() {
      if (timer) clearInterval(timer)
      if (tty) stream.write(`\r\x1b[2K`)
    },
  }
}
