// The running ejabberd lab (test/lab/start.sh), as integration tests see it. A missing or
// unreachable lab is a failure ("lab not running: run test/lab/start.sh"), never a skip.
import {readFileSync} from 'node:fs'
import {connect} from 'node:net'

export interface LabNode {
  index: number
  /** Erlang node name, as connected_users_info reports it. */
  name: string
  /** The node's default c2s listener: STARTTLS required, certificate of the lab CA. */
  c2sPort: number
  service: string
  /** Its one plain listener (no TLS), for what needs no encryption (the benchmark's login floor). */
  plainPort: number
  plainService: string
  api: string
}

export interface LabEnv {
  dir: string
  domain: string
  host: string
  adminJid: string
  adminPassword: string
  userPassword: string
  userCount: number
  nodes: LabNode[]
  /** The lab's private CA: clients trust it through NODE_EXTRA_CA_CERTS. */
  caCert: string
  /** The lab's DNS server (127.0.0.1): `_xmpp-client._tcp.<domain>` SRV for every node. */
  dnsPort: number
  /** STARTTLS with a self-signed certificate: must be refused. */
  untrustedTlsPort: number
  /** mod_xtransfer is loaded on every node (LAB_COMPANION=on). */
  companion: boolean
  /** The lab's private Erlang cookie (0600), for a test's own hidden node (test/integration/erlang-node.ts). */
  cookieFile: string
  /** A STARTTLS-required c2s listener and the certificate that makes it trusted (node 1's, with the lab CA). */
  tls: {port: number; service: string; cert: string}
}

export const LAB_DIR = process.env.XTRANSFER_LAB_DIR ?? '/tmp/xtransfer-lab'
const NOT_RUNNING = 'lab not running: run test/lab/start.sh'

export function readLabEnv(dir = LAB_DIR): LabEnv {
  let text: string
  try {
    text = readFileSync(`${dir}/lab.env`, 'utf8')
  } catch {
    throw new Error(`${NOT_RUNNING} (no ${dir}/lab.env)`)
  }
  const env = Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  )
  const need = (key: string) => {
    const value = env[key]
    if (!value) throw new Error(`${NOT_RUNNING} (${dir}/lab.env has no ${key})`)
    return value
  }
  const host = env.LAB_HOST || '127.0.0.1'
  const count = Number(env.LAB_NODE_COUNT || 3)
  const nodes: LabNode[] = []
  for (let index = 1; index <= count; index++) {
    const c2sPort = Number(need(`LAB_C2S_${index}`))
    const plainPort = Number(need(`LAB_PLAIN_${index}`))
    nodes.push({
      index,
      name: need(`LAB_NODE_${index}`),
      c2sPort,
      service: `xmpp://${host}:${c2sPort}`,
      plainPort,
      plainService: `xmpp://${host}:${plainPort}`,
      api: need(`LAB_API_${index}`),
    })
  }
  let adminPassword: string
  try {
    adminPassword = readFileSync(need('LAB_ADMIN_PASSWORD_FILE'), 'utf8').split('\n')[0].trim()
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(NOT_RUNNING)) throw error
    throw new Error(`${NOT_RUNNING} (cannot read ${env.LAB_ADMIN_PASSWORD_FILE}; run the tests as root?)`, {cause: error})
  }
  return {
    dir,
    domain: need('LAB_DOMAIN'),
    host,
    adminJid: need('LAB_ADMIN_JID'),
    adminPassword,
    userPassword: need('LAB_USER_PASSWORD'),
    userCount: Number(env.LAB_USERS || 0),
    nodes,
    companion: env.LAB_COMPANION === 'on',
    cookieFile: need('LAB_COOKIE_FILE'),
    caCert: need('LAB_CA_CERT'),
    dnsPort: Number(need('LAB_DNS_PORT')),
    untrustedTlsPort: Number(need('LAB_TLS_PORT')),
    tls: {port: nodes[0].c2sPort, service: nodes[0].service, cert: need('LAB_CA_CERT')},
  }
}

function portOpen(host: string, port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host, port})
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(ms, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * lab.env, with every node's c2s port accepting connections; throws "lab not running" otherwise.
 * Node reads NODE_EXTRA_CA_CERTS once, at start: a test process without the lab CA would fail
 * every TLS login with a certificate error, so say what to run instead.
 */
export async function requireLab(): Promise<LabEnv> {
  const lab = readLabEnv()
  // A drain leaves its node cordoned (by design): every test file starts with all nodes open.
  if (lab.companion) {
    for (const node of lab.nodes) await labApi(lab, lab.nodes[0], 'xtransfer_uncordon', {node: node.name}).catch(() => undefined)
  }
  if (process.env.NODE_EXTRA_CA_CERTS !== lab.caCert) {
    throw new Error(`the lab's c2s listeners need TLS with the lab CA: run the tests with NODE_EXTRA_CA_CERTS=${lab.caCert} (test/run-all.sh sets it)`)
  }
  for (const node of lab.nodes) {
    if (!(await portOpen(lab.host, node.c2sPort))) throw new Error(`${NOT_RUNNING} (node ${node.index}: nothing listens on ${lab.host}:${node.c2sPort})`)
  }
  return lab
}

/** `user0042`: the lab registers user0001…user<LAB_USERS>. */
export function labUser(n: number): string {
  return `user${String(n).padStart(4, '0')}`
}

/** A call to a node's ejabberd HTTP API as the admin (HTTP Basic). */
export async function labApi<T = unknown>(lab: LabEnv, node: LabNode, command: string, args: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${node.api}/${command}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${lab.adminJid}:${lab.adminPassword}`).toString('base64')}`,
    },
    body: JSON.stringify(args),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${command} on node ${node.index}: HTTP ${response.status} ${text}`)
  return JSON.parse(text) as T
}

export interface SessionInfo {
  jid?: string
  node: string
  resource: string
  [key: string]: unknown
}

/** A user's sessions, as the cluster sees them (user_sessions_info). */
export function userSessions(lab: LabEnv, user: string, via = lab.nodes[0]): Promise<SessionInfo[]> {
  return labApi<SessionInfo[]>(lab, via, 'user_sessions_info', {user, host: lab.domain})
}

/** Every session in the cluster (connected_users_info). */
export function allSessions(lab: LabEnv, via = lab.nodes[0]): Promise<SessionInfo[]> {
  return labApi<SessionInfo[]>(lab, via, 'connected_users_info')
}
