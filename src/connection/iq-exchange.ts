import {randomUUID} from 'node:crypto'

import {type Element} from '@xmpp/xml'

import type {XmppClient} from '@xmpp/client'

export class IqTimeoutError extends Error {
  constructor(
    readonly to: string | undefined,
    readonly ms: number,
  ) {
    super(`no answer from ${to ?? 'the server'} within ${ms} ms`)
    this.name = 'IqTimeoutError'
  }
}

export class ConnectionLostError extends Error {
  constructor() {
    super('the admin connection closed before the answer came')
    this.name = 'ConnectionLostError'
  }
}

/** The stanza never left: the stream was closing or closed. Safe to send again on a new stream. */
export class NotSentError extends Error {
  constructor(cause: Error) {
    super(`not sent: ${cause.message}`)
    this.name = 'NotSentError'
  }
}

interface Pending {
  resolve: (answer: Element) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
  to?: string
}

/**
 * The one place where our iq requests and their answers are matched by id.
 * Unlike xmpp.js's iqCaller it resolves with the answering stanza itself, error
 * or result, so the redirect rules can read a 302 answer whole.
 */
export function createIqExchange(entity: XmppClient, defaultTimeoutMs = 30_000) {
  const pending = new Map<string, Pending>()

  const onStanza = (stanza: Element) => {
    if (stanza.name !== 'iq' || (stanza.attrs.type !== 'result' && stanza.attrs.type !== 'error')) return
    const id = stanza.attrs.id
    const waiting = id === undefined ? undefined : pending.get(id)
    if (!waiting) return
    // An answer must come from whom we asked (a bare-domain or absent `from` is the server speaking for it).
    if (waiting.to && stanza.attrs.from && stanza.attrs.from !== waiting.to && !sameBare(waiting.to, stanza.attrs.from)) return
    pending.delete(id!)
    clearTimeout(waiting.timer)
    waiting.resolve(stanza)
  }
  entity.on('stanza', onStanza)

  async function exchange(iq: Element, timeoutMs = defaultTimeoutMs): Promise<Element> {
    iq.attrs.id ??= randomUUID()
    const id = iq.attrs.id
    const answer = new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new IqTimeoutError(iq.attrs.to, timeoutMs))
      }, timeoutMs)
      pending.set(id, {resolve, reject, timer, to: iq.attrs.to})
    })
    try {
      await entity.send(iq)
    } catch (error) {
      abandon(id, new NotSentError(error as Error))
    }
    return answer
  }

  function abandon(id: string, error: Error) {
    const waiting = pending.get(id)
    if (!waiting) return
    pending.delete(id)
    clearTimeout(waiting.timer)
    waiting.reject(error)
  }

  /** Fail every request in flight, e.g. when the stream closed. */
  function rejectAll(error: Error = new ConnectionLostError()) {
    for (const id of [...pending.keys()]) abandon(id, error)
  }

  return {
    exchange,
    rejectAll,
    get inFlight() {
      return pending.size
    },
    stop() {
      entity.removeListener('stanza', onStanza)
      rejectAll()
    },
  }
}

function sameBare(a: string, b: string): boolean {
  return a.split('/')[0] === b.split('/')[0]
}
