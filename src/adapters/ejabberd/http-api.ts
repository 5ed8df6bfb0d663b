import {Agent as HttpAgent, request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {isIP} from 'node:net'

import {TLS_CODES} from '../../connection/classify-error.js'
import {retry} from '../../connection/retry.js'
import {AuthError, DirectoryError, TlsError, UnknownHostError} from '../../errors.js'
import {type Clock, systemClock} from '../../model/clock.js'
import {parseGrant, TOKEN_TTL_S, type TokenGrant, tokenRefusal} from './api-token.js'

export interface EjabberdApiOptions {
  /** Base URLs, e.g. http://127.0.0.1:5281/api, tried in order when one cannot be reached (every ejabberd node serves the API). */
  urls: string[]
  /** HTTP Basic: the admin JID and password (ejabberd's api_permissions admin ACL). */
  user: string
  password: string
  /** admin.insecurePlain: the one switch that lets the password travel unencrypted (XMPP and HTTP alike). */
  insecurePlain?: boolean
  timeoutMs: number
  /** How long a call keeps retrying network errors and 5xx answers, with doubling backoff, before the directory counts as down. */
  retryForMs?: number
  backoffMs?: number
  clock?: Clock
  /** --debug: one line per call (which URL answered, status, time) and per failover. */
  debug?: (line: string) => void
}

/**
 * A thin client for ejabberd's mod_http_api: POST {url}/{command} with a JSON body.
 * node:http rather than fetch: fetch's first call loads undici and compiles its
 * WebAssembly parser, ~40 MB of RSS for a tool that makes a few calls (measured).
 */
export class EjabberdApi {
  readonly usage = {calls: 0, bytes: 0}
  private readonly basic: string
  private readonly endpoints: Array<{base: URL; agent: HttpAgent}>
  /** The endpoint that answered last: tried first next time. */
  private current = 0
  /** useToken(): the commands it asked for, and the token while one is valid. Never written anywhere. */
  private tokenWanted: {commands: readonly string[]; ttlSeconds: number} | undefined
  private grant: TokenGrant | undefined
  private renewing: Promise<boolean> | undefined
  /** Commands the server refused to a token (no api_permissions rule for them): Basic for those. */
  private readonly basicOnly = new Set<string>()
  /** Tokens the server no longer knew (401): a re-issue each, up to a few, then Basic. */
  private reissues = 0
  private toldNoToken = false

  constructor(private readonly options: EjabberdApiOptions) {
    if (options.urls.length === 0) throw new Error('EjabberdApi needs at least one URL')
    for (const url of options.urls) refusePlainHttp(new URL(url), Boolean(options.insecurePlain))
    this.basic = 'Basic ' + Buffer.from(`${options.user}:${options.password}`).toString('base64')
    this.endpoints = options.urls.map((url) => {
      const base = new URL(url.replace(/\/?$/, '/'))
      return {base, agent: base.protocol === 'https:' ? new HttpsAgent({keepAlive: true, maxSockets: 16}) : new HttpAgent({keepAlive: true, maxSockets: 16})}
    })
  }

  /** `timeoutMs` bounds one try of this call on one URL (default: the configured timeout). */
  async call<T>(command: string, args: Record<string, unknown> = {}, {timeoutMs = this.options.timeoutMs} = {}): Promise<T> {
    return retry(() => this.callAnyEndpoint<T>(command, args, timeoutMs), {
      clock: this.options.clock ?? systemClock,
      backoff: {initialDelayMs: this.options.backoffMs ?? 250, maxDelayMs: 4_000, giveUpAfterMs: this.options.retryForMs ?? 20_000},
      retryable: (error) => error instanceof RetryableError,
      giveUp: (error, tries, elapsedMs) =>
        new DirectoryError(`${(error as Error).message} (${tries} ${tries === 1 ? 'try' : 'tries'} in ${(elapsedMs / 1000).toFixed(1)} s)`),
    })
  }

  /**
   * From now on, call these commands with an OAuth bearer token instead of HTTP Basic: one
   * oauth_issue_token call over Basic, scoped to exactly these commands, valid `ttlSeconds` and
   * renewed before it expires. Never throws: when the server issues none (no oauth2 library,
   * oauth_access, api_permissions), every call keeps Basic, and --debug says why, once.
   * Resolves whether a token is in use.
   */
  async useToken(commands: readonly string[], {ttlSeconds = TOKEN_TTL_S} = {}): Promise<boolean> {
    this.tokenWanted = {commands: [...commands], ttlSeconds}
    this.renewing ??= this.issueToken().finally(() => (this.renewing = undefined))
    return this.renewing
  }

  /** Whether a call of `command` made now goes with the bearer token (a check of a cached token on the server) or HTTP Basic (PBKDF2). */
  usesToken(command: string): boolean {
    return this.authorizationFor(command).bearer
  }

  close(): void {
    for (const endpoint of this.endpoints) endpoint.agent.destroy()
  }

  private authorizationFor(command: string): {header: string; bearer: boolean} {
    const grant = this.grant
    const now = (this.options.clock ?? systemClock).now()
    if (grant && now >= grant.renewAt && !this.renewing) this.renewing = this.issueToken().finally(() => (this.renewing = undefined))
    // A few seconds short of its end: a call in flight must not outlive it.
    const usable = grant !== undefined && now < grant.expiresAt - 5_000 && this.tokenWanted?.commands.includes(command) && !this.basicOnly.has(command)
    return usable ? {header: `Bearer ${grant.token}`, bearer: true} : {header: this.basic, bearer: false}
  }

  /** oauth_issue_token over HTTP Basic, one try at the endpoint that answered last. */
  private async issueToken(): Promise<boolean> {
    const wanted = this.tokenWanted
    if (!wanted) return false
    const clock = this.options.clock ?? systemClock
    const {base, agent} = this.endpoints[this.current]
    const requestedAt = clock.now()
    const body = JSON.stringify({jid: this.options.user, ttl: wanted.ttlSeconds, scopes: wanted.commands.join(';')})
    this.usage.calls++
    let answer: {status: number; text: string}
    try {
      answer = await this.post(new URL('oauth_issue_token', base), agent, body, this.options.timeoutMs, this.basic)
    } catch (error) {
      return this.noToken(`oauth_issue_token failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`)
    }
    this.usage.bytes += Buffer.byteLength(answer.text)
    // The answer holds the token: only its status and size are ever told.
    this.options.debug?.(
      `api: POST ${base.href}oauth_issue_token -> HTTP ${answer.status}, ${Buffer.byteLength(answer.text)} bytes in ${clock.now() - requestedAt} ms`,
    )
    const grant = answer.status === 200 ? parseGrant(answer.text, requestedAt, wanted.ttlSeconds) : undefined
    if (!grant) return this.noToken(answer.status === 200 ? 'the answer of oauth_issue_token held no token' : tokenRefusal(answer.status, answer.text))
    const renewal = this.grant !== undefined
    this.grant = grant
    if (!renewal) {
      this.options.debug?.(`api: an OAuth token (valid ${wanted.ttlSeconds} s, renewed before) for ${wanted.commands.join(', ')}: no password check per call`)
    }
    return true
  }

  /** Basic for every call from now on (a renewal that fails lets the old token run out first). */
  private noToken(why: string): false {
    if (!this.toldNoToken) {
      this.toldNoToken = true
      this.options.debug?.(`api: no OAuth token, HTTP Basic for every call (a password check, PBKDF2, each): ${why}`)
    }
    return false
  }

  /** A call the server refused to the token is made again at once with Basic; what that says stands. */
  private refusedToken(command: string, status: number): void {
    if (status === 401) {
      // Revoked, expired early, or the cluster lost it: ask again (a few times), Basic meanwhile.
      this.grant = undefined
      if (this.reissues++ < 3) void this.useToken(this.tokenWanted?.commands ?? [], {ttlSeconds: this.tokenWanted?.ttlSeconds})
      this.options.debug?.(`api: the server no longer accepts the OAuth token (HTTP 401): HTTP Basic until a new one`)
      return
    }
    this.basicOnly.add(command)
    this.options.debug?.(
      `api: ${command} is not allowed with an OAuth token (HTTP ${status}): HTTP Basic for it; allow it in api_permissions (docs/servers.md)`,
    )
  }

  /**
   * The last URL that answered first, then the others in order: a node that is down costs
   * one refused connection, not a whole retry window. A refusal (401, 403, bad JSON) is the
   * same on every node and fails at once.
   */
  private async callAnyEndpoint<T>(command: string, args: Record<string, unknown>, timeoutMs: number): Promise<T> {
    let retryable: unknown
    let broken: unknown
    for (let i = 0; i < this.endpoints.length; i++) {
      const index = (this.current + i) % this.endpoints.length
      try {
        const answer = await this.callOnce<T>(index, command, args, timeoutMs)
        if (index !== this.current) {
          this.options.debug?.(`api: failed over to ${this.endpoints[index].base.href}`)
          this.current = index
        }
        return answer
      } catch (error) {
        // This URL is down (retry later) or wrong (unknown host, TLS, not HTTP): the next one may answer.
        if (error instanceof RetryableError) retryable = error
        else if (error instanceof EndpointError) broken ??= error.cause
        else throw error
        this.options.debug?.(`api: ${(error instanceof EndpointError ? (error.cause as Error) : (error as Error)).message}`)
      }
    }
    // Some URL may come back: back off and retry. Else every URL is wrong: say how, at once.
    throw retryable ?? broken
  }

  private async callOnce<T>(index: number, command: string, args: Record<string, unknown>, timeoutMs: number): Promise<T> {
    this.usage.calls++
    const {base, agent} = this.endpoints[index]
    const url = base.href.replace(/\/$/, '')
    const started = Date.now()
    const authorization = this.authorizationFor(command)
    let answer: {status: number; text: string}
    try {
      answer = await this.post(new URL(command, base), agent, JSON.stringify(args), timeoutMs, authorization.header)
    } catch (error) {
      const failure = this.networkFailure(url, command, error as NodeJS.ErrnoException)
      throw failure instanceof RetryableError ? failure : new EndpointError(failure)
    }
    this.options.debug?.(
      `api: POST ${url}/${command} (${authorization.bearer ? 'token' : 'Basic'}) -> HTTP ${answer.status}, ${Buffer.byteLength(answer.text)} bytes in ${Date.now() - started} ms`,
    )
    const {status, text} = answer
    this.usage.bytes += Buffer.byteLength(text)
    if (authorization.bearer && (status === 401 || status === 403)) {
      this.refusedToken(command, status)
      return this.callOnce<T>(index, command, args, timeoutMs)
    }
    if (status >= 500) throw new RetryableError(`directory ${command} failed: HTTP ${status} ${text.slice(0, 200)}`)
    if (status !== 200) throw this.refusal(url, command, status, text)
    try {
      return JSON.parse(text) as T
    } catch {
      throw new DirectoryError(`directory ${command} answered something that is not JSON: ${text.slice(0, 100)}`)
    }
  }

  /** What no retry can mend fails at once, saying what to fix; the rest is retried for retryFor. */
  private networkFailure(url: string, command: string, error: NodeJS.ErrnoException): Error {
    const code = error.code ?? error.name
    if (code === 'ENOTFOUND') return new UnknownHostError(`unknown host in directory.api ${url} (${code})`)
    if (TLS_CODES.test(code)) {
      return new TlsError(`TLS failed with directory.api ${url}: ${error.message} (trust a private CA with NODE_EXTRA_CA_CERTS=/path/ca.pem)`)
    }
    // llhttp's parse errors: what answered is no HTTP server, most often ejabberd's c2s listener.
    if (code.startsWith('HPE_')) {
      return new DirectoryError(
        `directory.api ${url} answered something that is not HTTP (${code}): is that an XMPP (c2s) port? Use the listener with mod_http_api, e.g. http://host:5280/api`,
      )
    }
    return new RetryableError(`directory ${url} unreachable (${command}: ${code})`)
  }

  private refusal(url: string, command: string, status: number, text: string): Error {
    const {user} = this.options
    if (status === 401) return new AuthError(`directory ${url} refused the login: wrong admin password or JID (${user}), HTTP 401`)
    if (status === 403) {
      return new DirectoryError(
        `directory ${url} refused ${command} for ${user} (HTTP 403): allow the admin JID in ejabberd's api_permissions (see docs/servers.md)`,
      )
    }
    if (status === 404) {
      // ejabberd's own API answers an unknown command with this JSON; anything else means no API there.
      if (/"Endpoint not found/.test(text)) return new UnknownCommandError(command, url, 404)
      return new DirectoryError(`no ejabberd API at ${url} (HTTP 404; is mod_http_api on that listener, under that path?)`)
    }
    // A command disabled since the node started (reload_config without its module).
    if (status === 400 && /unknown_command/.test(text)) return new UnknownCommandError(command, url, 400)
    return new DirectoryError(`directory ${command} failed: HTTP ${status} ${text.slice(0, 200)}`)
  }

  private post(url: URL, agent: HttpAgent, body: string, timeoutMs: number, authorization: string): Promise<{status: number; text: string}> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        {
          method: 'POST',
          agent,
          headers: {authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body)},
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => resolve({status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
          response.on('error', reject)
        },
      )
      request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('timeout'), {code: 'TimeoutError'})))
      request.on('error', reject)
      request.end(body)
    })
  }
}

class RetryableError extends Error {}

/** One URL is wrong in a way no retry mends (unknown host, TLS, not HTTP): another URL of the list may be right. */
class EndpointError extends Error {
  constructor(cause: Error) {
    super(cause.message, {cause})
  }
}

/** The API has no such command: the module that provides it is not loaded (mod_admin_extra, mod_xtransfer). */
export class UnknownCommandError extends DirectoryError {
  constructor(
    readonly command: string,
    url: string,
    status: number,
  ) {
    super(
      `the ejabberd API at ${url} has no command ${command} (HTTP ${status}): is ${command.startsWith('xtransfer_') ? 'the companion module mod_xtransfer' : 'the module that provides it (mod_admin_extra)'} enabled?`,
    )
  }
}

/**
 * HTTP Basic sends the admin password with every call: over http:// anyone on the path
 * reads it. Loopback never leaves the machine; anything else needs TLS, or the same
 * explicit switch that allows a plain XMPP login (labs only).
 */
function refusePlainHttp(url: URL, insecurePlain: boolean): void {
  if (url.protocol !== 'http:' || insecurePlain || isLoopback(url.hostname)) return
  throw new TlsError(
    `refusing to send the admin password over plain http:// to ${url.host} (not loopback): use an https:// directory.api, or set admin.insecurePlain: true (labs only)`,
  )
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (host === 'localhost') return true
  return isIP(host) === 4 ? host.startsWith('127.') : host === '::1'
}
