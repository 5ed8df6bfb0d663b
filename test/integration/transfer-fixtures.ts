import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Fleet, type FleetOptions, startFleet} from '../../src/fleet/index.js'
import {allSessions, labApi, type LabEnv, labUser} from './lab-env.js'
import {testTempDir} from '../support/temp-dir.js'

/** The lab's own xtransfer config (test/lab/start.sh writes it). */
export function labConfigPath(lab: LabEnv): string {
  return join(lab.dir, 'xtransfer.yaml')
}

/** A copy of the lab config with some text replaced, for the failure paths. */
export function variantConfig(lab: LabEnv, edit: (yaml: string) => string): string {
  const dir = testTempDir('xtransfer-config-')
  const path = join(dir, 'config.yaml')
  writeFileSync(path, edit(readFileSync(labConfigPath(lab), 'utf8')))
  return path
}

export function users(from: number, count: number): string[] {
  return Array.from({length: count}, (_, i) => labUser(from + i))
}

/** Users of the lab logged in on one node through the transfer-aware helper. */
export function fleetOn(lab: LabEnv, node: number, names: string[], extra: Partial<FleetOptions> = {}): Promise<Fleet> {
  return startFleet({
    service: lab.nodes[node - 1].service,
    domain: lab.domain,
    users: names,
    password: lab.userPassword,
    trustedAdmins: [lab.adminJid],
    ...extra,
  })
}

/**
 * The lab as the next test expects it: no node cordoned (a drain leaves its node cordoned,
 * by design) and no session but the admin's (what a test left behind spoils the next).
 */
export async function waitForEmptyCluster(lab: LabEnv, timeoutMs = 15_000): Promise<void> {
  await uncordonAll(lab)
  let deadline = Date.now() + timeoutMs
  let orphansClosed = false
  for (;;) {
    const left = (await allSessions(lab)).filter((session) => !String(session.jid).startsWith(`${lab.adminJid}/`))
    if (left.length === 0) return
    if (Date.now() > deadline) {
      // Sessions pending resumption have no connection: their client is gone (a test process that
      // was killed, a file that timed out). They would spoil every file after it for the lab's
      // resume_timeout (60 s), hiding the one failure that matters: closed here (once), and said so.
      const jids = left.map((s) => String(s.jid))
      if (!orphansClosed && (await closeOrphans(lab, jids))) {
        orphansClosed = true
        deadline = Date.now() + 2000
        continue
      }
      throw new Error(
        `sessions left in the lab: ${left
          .slice(0, 5)
          .map((s) => s.jid)
          .join(', ')}…`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Closes the given sessions if every one is pending resumption (companion only); whether it did. */
async function closeOrphans(lab: LabEnv, jids: string[]): Promise<boolean> {
  if (!lab.companion) return false
  const bare = [...new Set(jids.map((jid) => jid.split('/')[0]))]
  const located = await labApi<{sessions: Array<{jid: string; sm: string}>}>(lab, lab.nodes[0], 'xtransfer_locate', {users: bare})
  const mine = located.sessions.filter((session) => jids.includes(session.jid))
  if (mine.length !== jids.length || mine.some((session) => session.sm !== 'pending')) return false
  for (const {jid} of mine) await labApi(lab, lab.nodes[0], 'xtransfer_close', {jid, condition: 'reset', text: ''})
  console.log(`# closed ${mine.length} session(s) pending resumption with no client left (an earlier test's): ${mine.map((s) => s.jid).join(', ')}`)
  return true
}

/** Node name (node-1…) for an erlang node name, as the lab config maps them. */
export function nodeNameOf(lab: LabEnv, erlangNode: string): string | undefined {
  const node = lab.nodes.find((n) => n.name === erlangNode)
  return node ? `node-${node.index}` : undefined
}

/** Every node takes new connections again (mod_xtransfer's uncordon; nothing to do without it). */
export async function uncordonAll(lab: LabEnv): Promise<void> {
  if (!lab.companion) return
  for (const node of lab.nodes) {
    const answer = await labApi<{result: string; reason: string}>(lab, lab.nodes.find((other) => other !== node) ?? node, 'xtransfer_uncordon', {
      node: node.name,
    }).catch(() => undefined)
    if (answer && answer.result !== 'ok' && answer.reason !== 'node-down') throw new Error(`uncordon ${node.name}: ${JSON.stringify(answer)}`)
  }
}
