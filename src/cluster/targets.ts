import {UsageError} from '../errors.js'
import {suggestion} from '../suggest.js'
import {parseServer} from '../protocol/index.js'
import type {Config} from '../config/config-schema.js'
import type {TransferTarget} from '../model/transfer.js'

export function nodeTarget(config: Config, name: string): TransferTarget {
  const node = config.nodes[name]
  if (!node) throw new UsageError(`unknown node "${name}"${suggestion(name, Object.keys(config.nodes))} (configured: ${Object.keys(config.nodes).join(', ')})`)
  const parsed = parseServer(node.address)
  if (!parsed.ok) throw new UsageError(`node ${name}: bad address: ${parsed.reason}`)
  return {name, address: parsed.value, isNode: true}
}

/**
 * `--to`: a configured node name, or an address WITH a port (`HOST:PORT`, `[IPv6]:PORT`): a
 * bare word that is not a node is a typo far more often than a host name (`--to node-9` was
 * sent as a host name), so it is refused with the nearest node name. An address that matches a
 * node counts as that node.
 */
export function resolveTarget(config: Config, text: string): TransferTarget {
  if (config.nodes[text]) return nodeTarget(config, text)
  const names = Object.keys(config.nodes)
  const parsed = parseServer(text)
  if (!parsed.ok) {
    throw new UsageError(`--to "${text}" is neither a configured node${suggestion(text, names)} (${names.join(', ')}) nor an address: ${parsed.reason}`)
  }
  if (parsed.value.port === undefined) {
    throw new UsageError(`--to "${text}" is not a configured node${suggestion(text, names)} (${names.join(', ')}); to send sessions to an address, give its port: ${text.includes(':') ? `[${text}]` : text}:5222`)
  }
  const node = Object.entries(config.nodes).find(([, value]) => value.address === text)
  if (node) return nodeTarget(config, node[0])
  return {name: text, address: parsed.value, isNode: false}
}
