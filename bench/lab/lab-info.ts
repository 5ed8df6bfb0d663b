// The bench's view of its own lab (test/lab/start.sh wrote lab.env): nodes, ports, accounts.
import {readFileSync} from 'node:fs'

export interface LabNode {
  /** node-1 … node-3, as xtransfer's config names them. */
  name: string
  /** The Erlang node name, as the directory reports it. */
  server: string
  c2s: number
  /** The HTTP API's base URL. */
  api: string
  /** The beam's PID (0 when the node is stopped). */
  pid: number
}

export interface LabInfo {
  dir: string
  env: Record<string, string>
  domain: string
  adminJid: string
  adminPassword: string
  userPassword: string
  users: number
  /** xtransfer's config for this lab. */
  config: string
  nodes: LabNode[]
  nodeByServer: Map<string, string>
}

/** lab.env as an object (KEY=value lines, split at the first '='). */
export function readLabEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of readFileSync(`${dir}/lab.env`, 'utf8').split('\n')) {
    const at = line.indexOf('=')
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1)
  }
  return env
}

/** What the bench needs to know about the lab, with node i = 1..3. */
export function labInfo(dir: string): LabInfo {
  const env = readLabEnv(dir)
  const count = Number(env.LAB_NODE_COUNT)
  const nodes = Array.from({length: count}, (_, k): LabNode => {
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
export function userName(n: number): string {
  return `user${String(n).padStart(4, '0')}`
}

/** The c2s address of a lab node, as the fleet and xtransfer's config write it. */
export function serviceOf(node: LabNode): string {
  return `xmpp://127.0.0.1:${node.c2s}`
}
