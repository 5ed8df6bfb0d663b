import {type XmppClient} from '@xmpp/client'

import {type Timer} from '../timer.js'

/** How a stream that may end during a move ended, as far as the move cares. */
export interface Ending {
  /** The server ended this stream with <conflict/> (another session took the resource). */
  readonly conflict: boolean
  /** Resolves when the stream ends (conflict or otherwise). */
  readonly ended: Promise<void>
  release(): void
}

/**
 * Watches a client whose stream may end during a move: remembers a `<conflict/>` stream
 * error and keeps its 'error' events from throwing (a conflict is an expected outcome).
 */
export function watchEnding(client: XmppClient): Ending {
  const state = {conflict: false}
  let resolveEnded!: () => void
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve))
  const onError = (error: {condition?: string}) => {
    if (error?.condition === 'conflict') {
      state.conflict = true
      resolveEnded()
    }
  }
  const onStatus = (status: string) => {
    if (status === 'disconnect' || status === 'offline') resolveEnded()
  }
  client.on('error', onError)
  client.on('status', onStatus)
  if (client.status === 'disconnect' || client.status === 'offline') resolveEnded()
  return {
    get conflict() {
      return state.conflict
    },
    ended,
    release: () => {
      client.off('error', onError)
      client.off('status', onStatus)
    },
  }
}

export type Verdict = 'old-ended' | 'new-ended' | 'both'

/**
 * Which session the server kept once the new one is bound: the old stream ends
 * (ejabberd: <conflict/>, usually before the new bind completes), the new one ends (the
 * server kept the old one), or neither within `ms` (the server keeps both).
 */
export async function settle(old: Ending, fresh: Ending, ms: number, timer: Timer): Promise<Verdict> {
  if (old.conflict) return 'old-ended'
  const stopTimer = new AbortController()
  const verdict = await Promise.race([
    old.ended.then(() => 'old-ended' as const),
    fresh.ended.then(() => 'new-ended' as const),
    timer.sleep(ms, stopTimer.signal).then(() => 'both' as const),
  ])
  stopTimer.abort()
  return verdict
}

export function isConflict(error: unknown): boolean {
  return (error as {condition?: string} | undefined)?.condition === 'conflict'
}
