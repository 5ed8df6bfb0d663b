// mod_http_api as the lab's admin (HTTP Basic), counting what it costs us (calls, bytes,
// wall time): the bench's own directory calls, apart from xtransfer's.
import type {LabInfo} from './lab-info.js'

export interface ApiUsage {
  calls: number
  bytes: number
  ms: number
  failures: number
}

export interface CallOptions {
  /** Index of the node whose API answers (0: node-1). */
  node?: number
  timeoutMs?: number
}

export interface AdminApi {
  /** The parsed JSON answer; throws on a transport error or a status other than 200. */
  call(command: string, args?: Record<string, unknown>, options?: CallOptions): Promise<any>
  readonly usage: ApiUsage
}

export function adminApi(lab: LabInfo): AdminApi {
  const authorization = 'Basic ' + Buffer.from(`${lab.adminJid}:${lab.adminPassword}`).toString('base64')
  const usage: ApiUsage = {calls: 0, bytes: 0, ms: 0, failures: 0}
  async function call(command: string, args: Record<string, unknown> = {}, {node = 0, timeoutMs = 30_000}: CallOptions = {}): Promise<any> {
    const started = performance.now()
    usage.calls++
    try {
      const response = await fetch(`${lab.nodes[node].api}/${command}`, {
        method: 'POST',
        headers: {authorization, 'content-type': 'application/json'},
        body: JSON.stringify(args),
        signal: AbortSignal.timeout(timeoutMs),
      })
      const text = await response.text()
      usage.bytes += Buffer.byteLength(text)
      if (response.status !== 200) throw new Error(`${command}: HTTP ${response.status} ${text.slice(0, 200)}`)
      return JSON.parse(text)
    } catch (error) {
      usage.failures++
      throw error
    } finally {
      usage.ms += performance.now() - started
    }
  }
  return {call, usage}
}
