import type {EventEmitter} from 'node:events'

export type StopSignal = 'SIGINT' | 'SIGTERM'

export interface InterruptHandlers {
  /** The first signal: stop sending, watch what is in flight a little longer. */
  first(signal: StopSignal): void
  /** Any later one: stop now. */
  again(signal: StopSignal): void
}

/**
 * Ctrl-C and SIGTERM alike, while a run sends: a runbook's timeout sends TERM and must get
 * the same orderly stop (and resume hint) as an operator's Ctrl-C, not a silent exit 143.
 */
export function watchInterrupts(
  handlers: InterruptHandlers,
  target: Pick<EventEmitter, 'on' | 'removeListener'> = process,
): {readonly count: number; stop(): void} {
  let count = 0
  const listeners = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const listener = () => {
      count++
      if (count === 1) handlers.first(signal)
      else handlers.again(signal)
    }
    target.on(signal, listener)
    return [signal, listener] as const
  })
  return {
    get count() {
      return count
    },
    stop() {
      for (const [signal, listener] of listeners) target.removeListener(signal, listener)
    },
  }
}

/** The last line of an interrupted run. */
export function resumeHint(bin: string, runId: string | undefined): string {
  return runId ? `resume with: ${bin} resume ${runId}` : 'interrupted before anything was sent'
}
