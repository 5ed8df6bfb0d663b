// How many pending users make one cluster listing cheaper than a call per user, with HTTP Basic
// and with an OAuth bearer token, at several cluster sizes (issue 14 §2). On a running lab:
// idle sessions are logged in over the plain listeners (spread over the nodes), then node 1's
// API is asked through xtransfer's own client (EjabberdApi) and the nodes' CPU is read from /proc.
//   XTRANSFER_LAB_DIR=… npm run bench:crossover
// Settings: CROSSOVER_SIZES (sessions, default 0,500,1000,2000,3000, at most LAB_USERS),
// CROSSOVER_POLLS (pending users per measured poll, default 8,32,128), CROSSOVER_OUT (JSON file).
import {readFileSync, writeFileSync} from 'node:fs'

import pLimit from 'p-limit'

import {EjabberdApi} from '../../src/adapters/ejabberd/http-api.js'
import {type Fleet, startFleet} from '../../src/fleet/index.js'
import {labInfo, type LabInfo, userName} from '../lab/lab-info.js'
import {cpuSeconds} from '../lab/proc-stats.js'
import {type CostSample, crossover, thresholdModel} from './crossover-model.js'

const labDir = process.env.XTRANSFER_LAB_DIR ?? fail('set XTRANSFER_LAB_DIR to a running lab (test/lab/start.sh)')
const lab = labInfo(labDir)
const sizes = list('CROSSOVER_SIZES', [0, 500, 1000, 2000, 3000]).filter((size) => size <= lab.users)
const pollSizes = list('CROSSOVER_POLLS', [8, 32, 128])
const plainPorts = lab.nodes.map((_, i) => Number(lab.env[`LAB_PLAIN_${i + 1}`]))

const fleets: Fleet[] = []
let online = 0
const samples: CostSample[] = []
const basic = api()
const token = api()
try {
  if (!(await token.useToken(['connected_users_info', 'user_sessions_info']))) fail('the lab issued no OAuth token (see --debug of xtransfer, docs/servers.md)')
  for (const size of sizes) {
    await growFleet(size)
    for (const [auth, client] of [
      ['basic', basic],
      ['token', token],
    ] as const) {
      samples.push(await measure(client, size, auth))
      report(samples.at(-1)!)
    }
  }
  const models = {basic: thresholdModel(samples, 'basic'), token: thresholdModel(samples, 'token')}
  process.stdout.write(`\nthreshold models (pending users above fixed + perSession × sessions: one listing is cheaper):\n${JSON.stringify(models, null, 2)}\n`)
  if (process.env.CROSSOVER_OUT) {
    const figures = {at: new Date().toISOString(), loadAverage: loadAverage(), samples, crossovers: samples.map(crossover), models}
    writeFileSync(process.env.CROSSOVER_OUT, JSON.stringify(figures, null, 2) + '\n')
  }
} finally {
  basic.close()
  token.close()
  await Promise.all(fleets.map((fleet) => fleet.stop()))
}

function api(): EjabberdApi {
  return new EjabberdApi({urls: [lab.nodes[0].api], user: lab.adminJid, password: lab.adminPassword, timeoutMs: 120_000, retryForMs: 10_000})
}

/** Log in users up to `size` idle sessions, round-robin over the nodes' plain listeners. */
async function growFleet(size: number): Promise<void> {
  if (size <= online) return
  const started = Date.now()
  const byNode = lab.nodes.map(() => [] as string[])
  for (let n = online + 1; n <= size; n++) byNode[n % lab.nodes.length].push(userName(n))
  const added = await Promise.all(
    byNode.map((users, i) =>
      users.length === 0
        ? undefined
        : startFleet({
            service: `xmpp://127.0.0.1:${plainPorts[i]}`,
            domain: lab.domain,
            users,
            password: lab.userPassword,
            parallelism: 8,
            loginTimeout: 60_000,
          }),
    ),
  )
  fleets.push(...added.filter((fleet): fleet is Fleet => fleet !== undefined))
  online = size
  process.stdout.write(`${size} sessions online (+${((Date.now() - started) / 1000).toFixed(1)} s); settling\n`)
  await new Promise((resolve) => setTimeout(resolve, 3_000))
}

/** Beam CPU (ms) of every node while `work` runs, less what they burn idle over the same time. */
async function serverCpu<T>(work: () => Promise<T>, idleMsPerMs: number): Promise<{cpuMs: number; wallMs: number; result: T}> {
  const before = totalCpu(lab)
  const started = performance.now()
  const result = await work()
  const wallMs = performance.now() - started
  return {cpuMs: Math.max(0, (totalCpu(lab) - before) * 1000 - idleMsPerMs * wallMs), wallMs, result}
}

async function measure(client: EjabberdApi, size: number, auth: 'basic' | 'token'): Promise<CostSample> {
  // What the nodes burn with nothing asked (keep-alives, timers), to subtract.
  const idle = await serverCpu(() => new Promise((resolve) => setTimeout(resolve, 2_000)), 0)
  const idleMsPerMs = idle.cpuMs / idle.wallMs
  for (let i = 0; i < 2; i++) await client.call('connected_users_info')
  const listingCalls = size >= 2000 ? 6 : 10
  const bytes0 = client.usage.bytes
  const listing = await serverCpu(async () => {
    for (let i = 0; i < listingCalls; i++) await client.call('connected_users_info')
  }, idleMsPerMs)
  const listingBytes = (client.usage.bytes - bytes0) / listingCalls
  // Users with a session where there are any (user_sessions_info costs more with a session to ask).
  const pool = Array.from({length: Math.max(1, size)}, (_, i) => userName(i + 1))
  const perUserCalls = 120
  const bytes1 = client.usage.bytes
  const perUser = await serverCpu(async () => {
    for (let i = 0; i < perUserCalls; i++) await client.call('user_sessions_info', {user: pool[i % pool.length], host: lab.domain})
  }, idleMsPerMs)
  const perUserBytes = (client.usage.bytes - bytes1) / perUserCalls
  const polls: CostSample['polls'] = []
  const limit = pLimit(16)
  for (const users of pollSizes) {
    const repeats = 3
    const poll = await serverCpu(async () => {
      for (let r = 0; r < repeats; r++) {
        await Promise.all(
          Array.from({length: users}, (_, i) => limit(() => client.call('user_sessions_info', {user: pool[(r * users + i) % pool.length], host: lab.domain}))),
        )
      }
    }, idleMsPerMs)
    polls.push({users, cpuMs: round(poll.cpuMs / repeats), wallMs: round(poll.wallMs / repeats)})
  }
  return {
    sessions: size,
    auth,
    listing: {cpuMs: round(listing.cpuMs / listingCalls), wallMs: round(listing.wallMs / listingCalls), bytes: Math.round(listingBytes)},
    perUser: {cpuMs: round(perUser.cpuMs / perUserCalls, 2), wallMs: round(perUser.wallMs / perUserCalls, 2), bytes: Math.round(perUserBytes)},
    polls,
  }
}

function report(sample: CostSample): void {
  const cross = crossover(sample)
  const polls = sample.polls.map((poll) => `${poll.users}: ${poll.wallMs} ms / ${poll.cpuMs} ms CPU`).join(', ')
  process.stdout.write(
    `${String(sample.sessions).padStart(5)} sessions, ${sample.auth.padEnd(5)}: listing ${sample.listing.wallMs} ms, ${sample.listing.cpuMs} ms CPU, ${sample.listing.bytes} B; ` +
      `per user ${sample.perUser.wallMs} ms, ${sample.perUser.cpuMs} ms CPU, ${sample.perUser.bytes} B; polls ${polls}; ` +
      `crossover ${cross.byServerCpu} users (CPU), ${cross.byWallTime ?? '–'} (wall)\n`,
  )
}

function totalCpu(info: LabInfo): number {
  return info.nodes.reduce((sum, node) => sum + cpuSeconds(node.pid), 0)
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

function list(name: string, fallback: number[]): number[] {
  const text = process.env[name]
  if (!text) return fallback
  const values = text.split(',').map(Number)
  if (values.some((value) => !Number.isInteger(value) || value < 0)) fail(`${name} must be comma-separated whole numbers (got '${text}')`)
  return values
}

function loadAverage(): string[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3)
}

function fail(message: string): never {
  process.stderr.write(`bench:crossover: ${message}\n`)
  process.exit(2)
}
