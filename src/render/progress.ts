import {createLogUpdate} from 'log-update'

import type {RunEvent} from '../engine/run-transfers.js'
import {formatMs} from './format.js'

/**
 * Pace and ETA are measured over this window: long enough to hold a few of the adaptive
 * pacer's decisions (it may change the pace every ~250 ms poll), short enough that a cut
 * shows within seconds.
 */
const PACE_WINDOW_MS = 5_000
/** Landings whose latency the ETA adds for the last ones (the typical wait after the last move). */
const LATENCY_SAMPLES = 50
/** A terminal is redrawn 5 times a second; a pipe gets a line every 5 s (a CI log stays readable). */
const TTY_REDRAW_MS = 200
const PIPE_LINE_MS = 5_000

/** What the progress knows at one moment: counts from the run's events, and the pace they show. */
export interface ProgressSnapshot {
  total: number
  /** Sessions that had their first move (packet or other rung). */
  started: number
  acked: number
  moved: number
  settled: number
  /** Moves (every rung counts, as the pacer counts them) per second over the last few seconds. */
  pace: number
  /** ms until every session settles, from the recent pace and landing latency; null before any pace shows. */
  etaMs: number | null
  elapsedMs: number
  /** `--rate`: a number, or auto. */
  rate: number | 'auto'
}

/** Counts the events of a run: pure, with the time passed in. */
export function progressCounter(total: number, rate: number | 'auto', now: () => number) {
  const startedAt = now()
  const counts = {started: 0, acked: 0, moved: 0, settled: 0}
  const seen = new Set<string>()
  const moves: number[] = []
  const firstMoves: number[] = []
  const latencies: number[] = []

  const recent = (times: number[], at: number) => {
    while (times.length && times[0] < at - PACE_WINDOW_MS) times.shift()
    return times.length
  }

  return {
    onEvent(event: RunEvent): void {
      if (event.type === 'sending' || event.type === 'acting') {
        moves.push(now())
        if (!seen.has(event.item.jid)) {
          seen.add(event.item.jid)
          counts.started++
          firstMoves.push(now())
        }
      } else if (event.type === 'sent') {
        if (event.record.ack.kind === 'result') counts.acked++
      } else if (event.type === 'settled') {
        counts.settled++
        if (event.record.outcome === 'moved') {
          counts.moved++
          if (event.record.latencyMs !== null) latencies.push(event.record.latencyMs)
          if (latencies.length > LATENCY_SAMPLES) latencies.shift()
        }
      }
    },
    snapshot(): ProgressSnapshot {
      const at = now()
      const elapsedMs = at - startedAt
      // Over the window, or over the run so far while it is younger than the window.
      const span = Math.min(PACE_WINDOW_MS, Math.max(elapsedMs, 1)) / 1000
      const pace = recent(moves, at) / span
      const sessionPace = recent(firstMoves, at) / span
      const toStart = total - counts.started
      const tail = latencies.length ? [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)] : 0
      const etaMs = counts.settled >= total ? 0 : toStart === 0 ? tail : sessionPace > 0 ? Math.round((toStart / sessionPace) * 1000 + tail) : null
      return {total, ...counts, pace, etaMs, elapsedMs, rate}
    },
  }
}

/** Every session had its move and some are still to land: no pace to show, nothing to estimate, only the wait. */
function waiting(snapshot: ProgressSnapshot): number {
  return snapshot.started >= snapshot.total ? snapshot.total - snapshot.settled : 0
}

function paceText(snapshot: ProgressSnapshot): string {
  if (waiting(snapshot) > 0) return `all sent (${snapshot.rate === 'auto' ? 'auto' : `max ${snapshot.rate}/s`})`
  const pace = `${snapshot.pace < 10 ? snapshot.pace.toFixed(1) : Math.round(snapshot.pace)}/s`
  return `pace ${pace} (${snapshot.rate === 'auto' ? 'auto' : `max ${snapshot.rate}/s`})`
}

function etaText(snapshot: ProgressSnapshot): string {
  // Clients reconnect when their own delay says: an ETA of 0 s while they do read as a hang.
  const left = waiting(snapshot)
  if (left > 0) return `waiting for ${left} to land`
  return snapshot.etaMs === null ? 'ETA -' : `ETA ${formatDuration(snapshot.etaMs)}`
}

/** 75 s → "1m15s"; under a minute in seconds. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`
}

/** The line a pipe gets every few seconds (and at the end): plain words, no escape codes. */
export function progressLine(snapshot: ProgressSnapshot): string {
  return (
    `progress: ${snapshot.settled}/${snapshot.total} settled, ${snapshot.moved} moved, ` +
    `${snapshot.started} started, ${snapshot.acked} acked, ${paceText(snapshot)}, ${etaText(snapshot)}, ${formatMs(snapshot.elapsedMs)} elapsed`
  )
}

/** The bar a terminal shows, fitted to `columns`: on a narrow one the counts of moved and not moved go first, then the pace. */
export function progressBar(snapshot: ProgressSnapshot, columns: number): string {
  const notMoved = snapshot.settled - snapshot.moved
  const count = ` ${snapshot.settled}/${snapshot.total}`
  const moved = `  moved ${snapshot.moved}${notMoved ? `  not ${notMoved}` : ''}`
  const texts = [
    `${count}${moved}  ${paceText(snapshot)}  ${etaText(snapshot)}`,
    `${count}  ${paceText(snapshot)}  ${etaText(snapshot)}`,
    `${count}  ${etaText(snapshot)}`,
  ]
  const text = texts.find((candidate) => columns - candidate.length - 3 >= 10) ?? texts.at(-1)!
  const width = Math.max(10, Math.min(40, columns - text.length - 3))
  const done = snapshot.total ? Math.round((width * snapshot.settled) / snapshot.total) : width
  // Sessions started but not yet settled show as a lighter part of the bar.
  const going = snapshot.total ? Math.min(width - done, Math.round((width * (snapshot.started - snapshot.settled)) / snapshot.total)) : 0
  return `[${'█'.repeat(done)}${'▒'.repeat(Math.max(0, going))}${'░'.repeat(Math.max(0, width - done - going))}]${text}`
}

export interface ProgressOptions {
  total: number
  rate: number | 'auto'
  /** stderr: stdout stays the report (or the JSON). */
  stream?: NodeJS.WriteStream
  /** A bar redrawn in place (a terminal, not CI), or plain lines. */
  interactive: boolean
  now?: () => number
  every?: (fn: () => void, ms: number) => {stop(): void}
}

export interface Progress {
  onEvent(event: RunEvent): void
  /** A line that stays (--verbose steps, notes): above the bar on a terminal. */
  log(line: string): void
  /** Redraw now (the timer does it too). */
  tick(): void
  /** Clears the bar (or prints the last line) and stops the timer. */
  done(): void
}

const systemEvery = (fn: () => void, ms: number) => {
  const timer = setInterval(fn, ms)
  timer.unref()
  return {stop: () => clearInterval(timer)}
}

/**
 * Progress kept apart from the work: on a terminal a bar redrawn in place by log-update
 * (it erases exactly the lines it drew, fits them to the width, and keeps lines logged
 * meanwhile above the bar); otherwise a plain line every few seconds.
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr
  const now = options.now ?? Date.now
  const every = options.every ?? systemEvery
  const counter = progressCounter(options.total, options.rate, now)
  if (options.interactive) {
    const update = createLogUpdate(stream)
    const draw = () => update(progressBar(counter.snapshot(), stream.columns || 80))
    const timer = every(draw, TTY_REDRAW_MS)
    draw()
    return {
      onEvent: (event) => counter.onEvent(event),
      log(line) {
        // persist() erases the bar and writes the line; the bar comes back below it at once.
        update.persist(line)
        draw()
      },
      tick: draw,
      done() {
        timer.stop()
        update.clear()
      },
    }
  }
  const write = () => stream.write(`${progressLine(counter.snapshot())}\n`)
  const timer = every(write, PIPE_LINE_MS)
  let finished = false
  return {
    onEvent: (event) => counter.onEvent(event),
    log: (line) => stream.write(`${line}\n`),
    tick: write,
    done() {
      if (finished) return
      finished = true
      timer.stop()
      // A run that failed before its first move (the admin login refused) ends with its error
      // line alone: a runbook reads one line.
      if (counter.snapshot().started > 0) write()
    },
  }
}
