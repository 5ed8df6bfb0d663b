import {DirectoryError} from '../errors.js'

export interface EjabberdApiOptions {
  /** Base URL, e.g. http://127.0.0.1:5281/api */
  url: string
  /** HTTP Basic: the admin JID and password (ejabberd's api_permissions admin ACL). */
  user: string
  password: string
  timeoutMs: number
  /** How long a call keeps retrying network errors and 5xx answers, with doubling backoff, before the directory counts as down. */
  retryForMs?: number
  backoffMs?: number
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

/** A thin client for ejabberd's mod_http_api: POST {url}/{command} with a JSON body. */
export class EjabberdApi {
  readonly usage = {calls: 0, bytes: 0}
  private readonly authorization: string

  constructor(private readonly options: EjabberdApiOptions) {
    this.authorization = 'Basic ' + Buffer.from(`${options.user}:${options.password}`).toString('base64')
  }

  async call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    const sleep = this.options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    const now = this.options.now ?? Date.now
    const started = now()
    let delay = this.options.backoffMs ?? 250
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.callOnce<T>(command, args)
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error
        if (now() - started + delay > (this.options.retryForMs ?? 20_000)) {
          throw new DirectoryError(`${error.message} (${attempt} ${attempt === 1 ? 'try' : 'tries'} in ${((now() - started) / 1000).toFixed(1)} s)`)
        }
        await sleep(delay)
        delay = Math.min(delay * 2, 4_000)
      }
    }
  }

  private async callOnce<T>(command: string, args: Record<string, unknown>): Promise<T> {
    const url = `${this.options.url.replace(/\/$/, '')}/${command}`
    this.usage.calls++
    let response: Response
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {authorization: this.authorization, 'content-type': 'application/json'},
        body: JSON.stringify(args),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      })
    } catch (error) {
      const cause = (error as {cause?: {code?: string}}).cause?.code ?? (error as Error).name
      throw new RetryableError(`directory ${this.options.url} unreachable (${command}: ${cause})`)
    }
    const text = await response.text()
    this.usage.bytes += Buffer.byteLength(text)
    if (response.status >= 500) throw new RetryableError(`directory ${command} failed: HTTP ${response.status} ${text.slice(0, 200)}`)
    if (response.status === 401 || response.status === 403) {
      throw new DirectoryError(`directory ${this.options.url} refused ${command} for ${this.options.user}: HTTP ${response.status} (is the admin JID allowed by api_permissions?)`)
    }
    if (response.status !== 200) throw new DirectoryError(`directory ${command} failed: HTTP ${response.status} ${text.slice(0, 200)}`)
    try {
      return JSON.parse(text) as T
    } catch {
      throw new DirectoryError(`directory ${command} answered something that is not JSON: ${text.slice(0, 100)}`)
    }
  }
}

class RetryableError extends Error {}
