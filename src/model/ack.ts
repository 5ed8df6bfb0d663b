/**
 * What a client answered to its transfer packet. A value, not a string: it becomes
 * `result` / `error:<condition>` / `timeout` / `not-observable` only where it is
 * written out (journal, report, JSON), through ackToText and back through ackFromText.
 */
export type Ack =
  | {kind: 'result'}
  | {kind: 'refused'; condition: string}
  /** No answer in time; `lost`: the admin link dropped before the answer came (the packet may never have left). */
  | {kind: 'timeout'; lost?: true}
  /** Sent as the bare domain: the client answers the server, not us. */
  | {kind: 'not-observable'}
  /** No packet went out: the session was moved by another rung of the ladder. */
  | {kind: 'none'}

export const ACK_RESULT: Ack = Object.freeze({kind: 'result'})
export const ACK_TIMEOUT: Ack = Object.freeze({kind: 'timeout'})
export const ACK_LOST: Ack = Object.freeze({kind: 'timeout', lost: true})
export const ACK_NOT_OBSERVABLE: Ack = Object.freeze({kind: 'not-observable'})
export const ACK_NONE: Ack = Object.freeze({kind: 'none'})

export function refused(condition: string): Ack {
  return {kind: 'refused', condition}
}

/** Conditions by which a client says it does not implement transfers at all. */
const UNSUPPORTED = new Set(['service-unavailable', 'feature-not-implemented'])

export function isRefusal(ack: Ack): ack is {kind: 'refused'; condition: string} {
  return ack.kind === 'refused'
}

export function isUnsupported(ack: Ack): boolean {
  return ack.kind === 'refused' && UNSUPPORTED.has(ack.condition)
}

/** The journal's and the report's spelling (stable: docs/report.schema.json). */
export function ackToText(ack: Ack): string {
  return ack.kind === 'refused' ? `error:${ack.condition}` : ack.kind
}

export function ackFromText(text: string): Ack {
  if (text === 'result') return ACK_RESULT
  if (text === 'not-observable') return ACK_NOT_OBSERVABLE
  if (text === 'none') return ACK_NONE
  if (text.startsWith('error:')) return refused(text.slice('error:'.length))
  return ACK_TIMEOUT
}
