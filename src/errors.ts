/**
 * Expected failures, each with the exit code the README documents. Anything
 * else is a bug and exits 70 with a stack trace under --debug.
 */
export const EXIT = {
  ok: 0,
  someNotMoved: 1,
  usage: 2,
  /** Login refused (wrong password, not allowed) or the directory cannot be reached. */
  access: 3,
  unreachable: 4,
  unknownHost: 5,
  tls: 6,
  /** --timeout passed before the run was done: it can be resumed. */
  timedOut: 7,
  /** The operator answered no at the confirmation, or cancelled a picker (Escape): nothing sent. */
  declined: 10,
  interrupted: 130,
  /** A bug: please report it with the --debug output. */
  internal: 70,
} as const

export class XtransferError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** Bad flags, arguments or configuration: nothing was sent. */
export class UsageError extends XtransferError {
  constructor(message: string) {
    super(message, EXIT.usage)
  }
}

/** The operator said no (confirmation, picker, overwrite question): nothing was sent or written. */
export class DeclinedError extends XtransferError {
  constructor(message = 'cancelled: nothing sent') {
    super(message, EXIT.declined)
  }
}

export class ConfigError extends XtransferError {
  constructor(message: string) {
    super(message, EXIT.usage)
  }
}

export class AuthError extends XtransferError {
  constructor(message: string) {
    super(message, EXIT.access)
  }
}

export class DirectoryError extends XtransferError {
  constructor(message: string) {
    super(message, EXIT.access)
  }
}

export class UnreachableError extends XtransferError {
  constructor(message: string) {
    super(message, EXIT.unreachable)
  }
}

export class UnknownHostError extends XtransferError {
  constructor(message: string) {
    super(message, EXIT.unknownHost)
  }
}

export class TlsError extends XtransferError {
  constructor(message: string) {
    super(message, EXIT.tls)
  }
}
