// The bench's view of its own lab: lab.env, the admin's HTTP API, and the server's CPU time.
import {readFileSync} from 'node:fs'

/** lab.env as an object (KEY=value lines, split at the first '='). */
export function readLabEnv(dir) {
  const env = {}
  for (const line of readFileSync(`${dir}/lab.env`, 'utf8').split('\n')) {
    const at = line.indexOf('=')
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1)
  }
  return env
}

/** What the bench needs to know about the lab, with node i = 1..3. */
export function labInfo(dir) {
  const env = readLabEnv(dir)
  const count = Number(env.LAB_NODE_COUNT)
  const nodes = Array.from({length: count}, (_, k) => {
    const i = k + 1
    return {name: `node-${i}`, server: env[`LAB_NODE_${i}`], c2s: Number(env[`LAB_C2S_${i}`]), api: env[`LAB_API_${i}`], pid: Number(env[`LAB_PID_${i}`])}
  })
  return {
    dir,
    env,
    domain: env.LAB_DOMAIN,
    adminJid: env.LAB_ADMIN_JID,
    adminPassword: readFileSync(env.LAB_ADMIN_PASSWORD_FILE, 'utf8').split('\n')[0],
    userPassword: env.LAB_USER_PASSWORD,
    users: Number(env.LAB_USERS),
    config: env.LAB_CONFIG,
    nodes,
    nodeByServer: new Map(nodes.map((node) => [node.server, node.name])),
  }
}

/** user%04d, as the lab registers them. */
export function userName(n) {
  return `user${String(n).padStart(4, '0')}`
}

/** mod_http_api as the admin, counting what it costs us (calls, bytes, wall time). */
export function adminApi(lab) {
  const authorization = 'Basic ' + Buffer.from(`${lab.adminJid}:${lab.adminPassword}`).toString('base64')
  const usage = {calls: 0, bytes: 0, ms: 0, failures: 0}
  async function call(command, args = {}, {node = 0, timeoutMs = 30_000} = {}) {
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

const TICKS = 100 // getconf CLK_TCK on Linux

/** utime + stime of a process in seconds (0 when it is gone). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS
  } catch {
    return 0
  }
}

/** VmRSS and VmHWM of a process in MB. */
export function memoryMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
    return {rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024}
  } catch {
    return {rss: 0, hwm: 0}
  }
}

/** Each node's CPU seconds so far; diff two readings for a phase. */
export function serverCpu(lab) {
  return Object.fromEntries(lab.nodes.map((node) => [node.name, cpuSeconds(node.pid)]))
}

/** A node that stopped (or restarted) in between has no figure (null), and no share of the total. */
export function cpuDelta(before, after) {
  const out = {}
  for (const key of Object.keys(after)) out[key] = after[key] >= (before[key] ?? 0) && after[key] > 0 ? round(after[key] - (before[key] ?? 0), 2) : null
  out.total = round(Object.values(out).reduce((a, b) => a + (b ?? 0), 0), 2)
  return out
}

/** The machine's busy CPU seconds (all processes), from /proc/stat. */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
  return {busy: (user + nice + system + irq + softirq + steal) / TICKS, idle: (idle + iowait) / TICKS}
}

export function round(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null
  const f = 10 ** digits
  return Math.round(value * f) / f
}
