// How soon xtransfer sees each moved session, from the client's own bind on its new node
// (issue 14 §2: p99 of bind → seen ≤ 1 s, 100 % tracked), and what the directory costs per
// poll against the sessions pending. On a running lab: TRACK_USERS followers on node 1 (the
// fleet, make-before-break), TRACK_IDLE idle sessions on the other nodes (the cluster's size),
// then the real CLI drains node 1 with the directory counter preloaded.
//   XTRANSFER_LAB_DIR=… NODE_EXTRA_CA_CERTS=…/ca.crt npm run bench:tracking
// Settings: TRACK_USERS (300), TRACK_IDLE (0), TRACK_RATE (the CLI's --rate: a number or auto,
// default auto), TRACK_OUT (JSON file), TRACK_ROOT (the xtransfer tree whose built CLI runs: default
// this one; another build to compare). Needs `npm run build` (the CLI runs from dist/).
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {listRuns, readRun} from '../../src/journal/journal-reader.js'
import {runsDir} from '../../src/journal/runs-dir.js'
import {type Fleet, startFleet} from '../../src/fleet/index.js'
import type {DirectoryLog} from '../analysis/directory-polls.js'
import {labInfo, userName} from '../lab/lab-info.js'
import {preparePreload, runCli} from '../steps/run-cli.js'
import {bindToSeen, pollsOf} from './tracking-figures.js'

const root = resolve(process.env.TRACK_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'))
const labDir = process.env.XTRANSFER_LAB_DIR ?? fail('set XTRANSFER_LAB_DIR to a running lab (test/lab/start.sh)')
if (!process.env.NODE_EXTRA_CA_CERTS) fail('set NODE_EXTRA_CA_CERTS to the lab CA (the fleet and the CLI log in over STARTTLS)')
const lab = labInfo(labDir)
const movers = count('TRACK_USERS', 300)
const idle = count('TRACK_IDLE', 0)
const rate = process.env.TRACK_RATE ?? 'auto'
if (movers + idle > lab.users) fail(`TRACK_USERS + TRACK_IDLE (${movers + idle}) is more than the lab's ${lab.users} users`)

const work = mkdtempSync(join(tmpdir(), 'xtransfer-tracking-'))
const fleets: Fleet[] = []
const boundAt = new Map<string, number>()
try {
  // The cluster's size: idle sessions over the other nodes' plain listeners (cheap logins).
  const idleUsers = Array.from({length: idle}, (_, i) => userName(movers + 1 + i))
  for (let n = 1; n < lab.nodes.length; n++) {
    const mine = idleUsers.filter((_, i) => i % (lab.nodes.length - 1) === n - 1)
    if (mine.length > 0) {
      const port = Number(lab.env[`LAB_PLAIN_${n + 1}`])
      fleets.push(await startFleet({service: `xmpp://127.0.0.1:${port}`, domain: lab.domain, users: mine, password: lab.userPassword, loginTimeout: 60_000}))
    }
  }
  fleets.push(
    await startFleet({
      service: `xmpp://127.0.0.1:${lab.nodes[0].c2s}`,
      domain: lab.domain,
      users: Array.from({length: movers}, (_, i) => userName(i + 1)),
      password: lab.userPassword,
      trustedAdmins: [lab.adminJid],
      onEvent: (event) => {
        // The new session is bound when the helper reports the move.
        if (event.type === 'transferred') boundAt.set(`${event.user}@${lab.domain}`, Date.now())
      },
    }),
  )
  process.stdout.write(`${movers} followers on node-1, ${idle} idle sessions elsewhere; draining node-1 at --rate ${rate}\n`)
  await new Promise((resolveWait) => setTimeout(resolveWait, 2_000))

  const files = {
    report: join(work, 'report.json'),
    stderr: join(work, 'stderr.txt'),
    time: join(work, 'time.txt'),
    directory: join(work, 'directory.json'),
    state: join(work, 'state'),
  }
  const cli = await runCli(
    {root, preload: preparePreload(work), env: process.env, now: Date.now, say: (text) => process.stdout.write(`${text}\n`)},
    ['drain', 'node-1', '--yes', '--json', '--no-cordon', '--rate', rate, '--config', lab.config, '--wait', '60s'],
    files,
    (movers / 10 + 180) * 1000,
  )
  if (cli.exitCode !== 0) process.stdout.write(`the CLI exited ${cli.exitCode}: ${readFileSync(files.stderr, 'utf8').slice(-1000)}\n`)
  const dir = runsDir({XTRANSFER_STATE_DIR: files.state})
  const records = listRuns(dir).flatMap(({id}) => [...readRun(dir, id).records.values()])
  const directory = JSON.parse(readFileSync(files.directory, 'utf8')) as DirectoryLog
  const seen = bindToSeen(records, boundAt)
  const polls = pollsOf(directory.calls, records)
  const figures = {
    at: new Date().toISOString(),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3),
    movers,
    idle,
    rate,
    exitCode: cli.exitCode,
    seen,
    polls,
  }
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`)
  if (process.env.TRACK_OUT) writeFileSync(process.env.TRACK_OUT, JSON.stringify(figures, null, 2) + '\n')
} finally {
  await Promise.all(fleets.map((fleet) => fleet.stop()))
  rmSync(work, {recursive: true, force: true})
}

function count(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0) fail(`${name} must be a whole number (got '${text}')`)
  return value
}

function fail(message: string): never {
  process.stderr.write(`bench:tracking: ${message}\n`)
  process.exit(2)
}
