import {didYouMean} from '../did-you-mean.js'
import {UsageError} from '../errors.js'
import {parseServer} from '../protocol/index.js'
import type {Config} from '../config/config-schema.js'
import type {TransferTarget} from '../model/transfer.js'

/**
 * The configured node an operator means: its name in the config (`node-3`), or the name
 * the cluster itself gives it (`nodes.*.server`, e.g. `ejabberd@node3`, what `nodes` and
 * ejabberdctl show). Anything else is refused with the nearest name.
 */
export function configuredNode(config: Config, text: string): string {
  const found = findNode(config, text)
  if (found) return found
  const names = Object.keys(config.nodes)
  const servers = Object.values(config.nodes)
    .map((node) => node.server)
    .filter((server) => !names.includes(server))
  throw new UsageError(`unknown node "${text}"${didYouMean(text, [...names, ...servers])} (configured: ${names.join(', ')})`)
}

function findNode(config: Config, text: string): string | undefined {
  if (config.nodes[text]) return text
  const byServer = Object.entries(config.nodes).filter(([, node]) => node.server === text)
  if (byServer.length === 1) return byServer[0][0]
  // Erlang node names and JIDs are typed in any case; config names are matched as written first.
  const folded = Object.entries(config.nodes).filter(
    ([name, node]) => name.toLowerCase() === text.toLowerCase() || node.server.toLowerCase() === text.toLowerCase(),
  )
  return folded.length === 1 ? folded[0][0] : undefined
}

export function nodeTarget(config: Config, text: string): TransferTarget {
  const name = configuredNode(config, text)
  const parsed = parseServer(config.nodes[name].address)
  if (!parsed.ok) throw new UsageError(`node ${name}: bad address: ${parsed.reason}`)
  return {name, address: parsed.value, isNode: true}
}

/**
 * `--to`: a configured node (by either name), or an address WITH a port (`HOST:PORT`,
 * `[IPv6]:PORT`): a bare word that is not a node is a typo far more often than a host name
 * (`--to node-9` was sent as a host name), so it is refused with the nearest node name. An
 * address that matches a node counts as that node.
 */
export function resolveTarget(config: Config, text: string, flag = '--to'): TransferTarget {
  if (findNode(config, text)) return nodeTarget(config, text)
  const names = Object.keys(config.nodes)
  const parsed = parseServer(text)
  if (!parsed.ok) {
    throw new UsageError(`${flag} "${text}" is neither a configured node${didYouMean(text, names)} (${names.join(', ')}) nor an address: ${parsed.reason}`)
  }
  if (parsed.value.port === undefined) {
    throw new UsageError(
      `${flag} "${text}" is not a configured node${didYouMean(text, names)} (${names.join(', ')}); to send sessions to an address, give its port: ${text.includes(':') ? `[${text}]` : text}:5222`,
    )
  }
  const node = Object.entries(config.nodes).find(([, value]) => value.address === text)
  if (node) return nodeTarget(config, node[0])
  return {name: text, address: parsed.value, isNode: false}
}
