// Why a move failed, as classes an app can check with instanceof. Their messages are
// what `transfer-failed` carried before they existed.

/** stop() was called while the move had not committed: the old session was kept. */
export class TransferStoppedError extends Error {
  constructor() {
    super('the transfer helper was stopped')
    this.name = 'TransferStoppedError'
  }
}

/** Twice, the server ended the new session with `<conflict/>` and kept the old one (ejabberd's tie-break). */
export class OldSessionKeptError extends Error {
  constructor() {
    super('the server replaced the new session and kept the old one (<conflict/>)')
    this.name = 'OldSessionKeptError'
  }
}

/** The new session ended right after it bound, without `<conflict/>`. */
export class NewSessionEndedError extends Error {
  constructor() {
    super('the new session ended right after binding')
    this.name = 'NewSessionEndedError'
  }
}

/**
 * The session is encrypted and the new place offers no TLS: the helper does not log in
 * there (the credentials would go unencrypted), and the session stays where it is.
 */
export class TlsDowngradeError extends Error {
  constructor(readonly service: string) {
    super(`refused to move an encrypted session to ${service}: it offers no TLS, and logging in there would send the credentials unencrypted`)
    this.name = 'TlsDowngradeError'
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
