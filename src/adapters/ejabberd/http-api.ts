import {Agent as HttpAgent, request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'

import {retry} from '../../connection/retry.js'
import {DirectoryError} from '../../errors.js'
import {type Clock, systemClock} from '../../model/clock.js'

export interface EjabberdApiOptions {
  /** Base URLs, e.g. http://127.0.0.1:5281/api, tried in order when one cannot be reached (every ejabberd node serves the API). */
  urls: string[]
  /** HTTP Basic: the admin JID and password (ejabberd's api_permissions admin ACL). */
  user: string
  password: string
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
  private readonly authorization: string
  private readonly endpoints: Array<{base: URL; agent: HttpAgent}>
  /** The endpoint that answered last: tried first next time. */
  private current = 0

  constructor(private readonly options: EjabberdApiOptions) {
    if (options.urls.length === 0) throw new Error('EjabberdApi needs at least one URL')
    this.authorization = 'Basic ' + Buffer.from(`${options.user}:${options.password}`).toString('base64')
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

  close(): void {
    for (const endpoint of this.endpoints) endpoint.agent.destroy()
  }

  /**
   * The last URL that answered first, then the others in order: a node that is down costs
   * one refused connection, not a whole retry window. A refusal (401, 403, bad JSON) is the
   * same on every node and fails at once.
   */
  private async callAnyEndpoint<T>(command: string, args: Record<string, unknown>, timeoutMs: number): Promise<T> {
    let last: unknown
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
        if (!(error instanceof RetryableError)) throw error
        this.options.debug?.(`api: ${(error as Error).message}`)
        last = error
      }
    }
    throw last
  }

  private async callOnce<T>(index: number, command: string, args: Record<string, unknown>, timeoutMs: number): Promise<T> {
    this.usage.calls++
    const {base, agent} = this.endpoints[index]
    const url = base.href.replace(/\/$/, '')
    const started = Date.now()
    let answer: {status: number; text: string}
    try {
      answer = await this.post(new URL(command, base), agent, JSON.stringify(args), timeoutMs)
    } catch (error) {
      throw new RetryableError(`directory ${url} unreachable (${command}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`)
    }
    this.options.debug?.(`api: POST ${url}/${command} -> HTTP ${answer.status}, ${Buffer.byteLength(answer.text)} bytes in ${Date.now() - started} ms`)
    const {status, text} = answer
    this.usage.bytes += Buffer.byteLength(text)
    if (status >= 500) throw new RetryableError(`directory ${command} failed: HTTP ${status} ${text.slice(0, 200)}`)
    if (status === 401 || status === 403) {
      throw new DirectoryError(`directory ${url} refused ${command} for ${this.options.user}: HTTP ${status} (is the admin JID allowed by api_permissions?)`)
    }
    // ejabberd 23.01 on a command it does not have: 404 "Endpoint not found" (never loaded), 400 "unknown_command" (disabled since).
    if (status === 404 && /Endpoint not found/.test(text) || status === 400 && /unknown_command/.test(text)) throw new UnknownCommandError(command, url)
    if (status !== 200) throw new DirectoryError(`directory ${command} failed: HTTP ${status} ${text.slice(0, 200)}`)
    try {
      return JSON.parse(text) as T
    } catch {
      throw new DirectoryError(`directory ${command} answered something that is not JSON: ${text.slice(0, 100)}`)
    }
  }

  private post(url: URL, agent: HttpAgent, body: string, timeoutMs: number): Promise<{status: number; text: string}> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const request = send(url, {
        method: 'POST',
        agent,
        headers: {authorization: this.authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body)},
      }, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => resolve({status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
        response.on('error', reject)
      })
      request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('timeout'), {code: 'TimeoutError'})))
      request.on('error', reject)
      request.end(body)
    })
  }
}

class RetryableError extends Error {}

/** The API has no such command (a module that provides it is not loaded). */
export class UnknownCommandError extends DirectoryError {
  constructor(readonly command: string, url: string) {
    super(`directory ${url} has no command ${command} (is the module that provides it enabled?)`)
  }
}
