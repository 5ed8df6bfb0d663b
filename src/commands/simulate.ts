import {writeFile} from 'node:fs/promises'

import {Flags} from '@oclif/core'

import {clusterFlags, durationFlag} from '../cli/flags.js'
import {ClusterCommand} from '../cli/base-command.js'
import {configuredNode} from '../cluster/targets.js'
import {readPasswordFile} from '../config/password.js'
import {loadConfig} from '../config/load-config.js'
import {UsageError} from '../errors.js'
import {startFleet} from '../fleet/index.js'
import {fleetBehaviours, fleetUsers} from '../operations/fleet-plan.js'

export default class Simulate extends ClusterCommand {
  static summary = 'Log in a rehearsal fleet of test users (staging, labs)'
  static description = `Log in a rehearsal fleet of registered users through the transfer-aware client helper and keep them online until stopped (Ctrl-C or --duration).
For labs and staging clusters (users log in with SASL PLAIN, over STARTTLS when the listener offers it). Followers obey packets that send them to a configured node only. A share of the fleet can refuse or ignore transfers, to rehearse the not-moved paths. The users' password comes from XTRANSFER_FLEET_PASSWORD or --user-password-file.`

  static examples = [
    '<%= config.bin %> simulate --users 60 --node node-1',
    '<%= config.bin %> simulate --users 200 --node node-2 --first 101 --refuse-share 0.1 --stats-file fleet.json',
  ]

  static enableJsonFlag = false

  static flags = {
    config: clusterFlags.config,
    debug: clusterFlags.debug,
    users: Flags.integer({description: 'how many users', required: true, min: 1, max: 20_000}),
    node: Flags.string({description: 'the node they log in to', required: true}),
    first: Flags.integer({description: 'number of the first user', default: 1, min: 0}),
    'user-format': Flags.string({description: 'user names, printf-style', default: 'user%04d'}),
    resource: Flags.string({description: 'resource every user binds', default: 'rehearsal'}),
    'user-password-file': Flags.string({description: "file with the users' password (mode 600); else XTRANSFER_FLEET_PASSWORD"}),
    'refuse-share': Flags.string({description: 'share of users that refuse transfers (0–1)', default: '0'}),
    'ignore-share': Flags.string({description: 'share of users that ignore transfers (0–1)', default: '0'}),
    mode: Flags.string({description: 'how followers move', options: ['make-before-break', 'break-before-make'], default: 'make-before-break'}),
    parallelism: Flags.integer({description: 'logins in flight', default: 16, min: 1, max: 256}),
    duration: durationFlag({description: 'stop by itself after this long', default: '24h'}),
    'stats-file': Flags.string({description: 'write per-user counts (packets received, transfers, offline time) here as JSON, every second and at the end'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Simulate)
    this.debugEnabled = flags.debug
    const config = await loadConfig({flag: flags.config})
    const node = config.nodes[configuredNode(config, flags.node)]
    const refuseShare = share(flags['refuse-share'], '--refuse-share')
    const ignoreShare = share(flags['ignore-share'], '--ignore-share')
    if (refuseShare + ignoreShare > 1) throw new UsageError('--refuse-share and --ignore-share add up to more than 1')
    const password = flags['user-password-file'] ? await readPasswordFile(flags['user-password-file']) : process.env.XTRANSFER_FLEET_PASSWORD
    if (!password) throw new UsageError("no password for the fleet's users: set XTRANSFER_FLEET_PASSWORD or give --user-password-file")

    const users = fleetUsers(flags['user-format'], flags.first, flags.users)
    const behaviours = fleetBehaviours(users, refuseShare, ignoreShare)
    const started = Date.now()
    const fleet = await startFleet({
      service: `xmpp://${node.address}`,
      domain: config.domain,
      users,
      password,
      resource: () => flags.resource,
      parallelism: flags.parallelism,
      behaviour: (user) => behaviours.get(user)!,
      mode: flags.mode as 'make-before-break' | 'break-before-make',
      trustedAdmins: [config.admin.jid],
      // Followers go where the operator's packets point: the configured nodes.
      allowedServers: Object.values(config.nodes).map((configured) => configured.address),
    }).catch((error: Error) => {
      throw new UsageError(`fleet could not start: ${error.message}`)
    })
    const counts = [...behaviours.values()].reduce<Record<string, number>>((acc, b) => ({...acc, [b]: (acc[b] ?? 0) + 1}), {})
    this.log(
      `${users.length} users online on ${flags.node} in ${((Date.now() - started) / 1000).toFixed(1)} s (${Object.entries(counts)
        .map(([b, n]) => `${n} ${b}`)
        .join(', ')}); Ctrl-C to stop`,
    )

    const writeStats = async () => {
      if (flags['stats-file']) await writeFile(flags['stats-file'], JSON.stringify({totals: fleet.totals(), users: fleet.stats()}, null, 1))
    }
    const statsTimer = flags['stats-file'] ? setInterval(() => void writeStats(), 1000) : undefined
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, flags.duration)
      for (const signal of ['SIGINT', 'SIGTERM'] as const)
        process.once(signal, () => {
          clearTimeout(timer)
          resolve()
        })
    })
    if (statsTimer) clearInterval(statsTimer)
    await writeStats()
    const totals = fleet.totals()
    await fleet.stop()
    this.log(`stopped: ${totals.transfers} transfers, ${totals.packetsReceived} packets received, by service: ${JSON.stringify(totals.byService)}`)
  }
}

function share(text: string, flag: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new UsageError(`${flag} "${text}" is not a number from 0 to 1`)
  return value
}
