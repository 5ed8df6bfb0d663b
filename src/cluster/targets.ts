import {UsageError} from '../errors.js'
import {parseServer} from '../protocol/index.js'
import type {Config} from '../config/config-schema.js'
import type {TransferTarget} from '../model/transfer.js'

export function nodeTarget(config: Config, name: string): TransferTarget {
  const node = config.nodes[name]
  if (!node) throw new UsageError(`unknown node "${name}" (configured: ${Object.keys(config.nodes).join(', ')})`)
  const parsed = parseServer(node.address)
  if (!parsed.ok) throw new UsageError(`node ${name}: bad address: ${parsed.reason}`)
  return {name, address: parsed.value, isNode: true}
}

/** `--to`: a configured node name, or HOST[:PORT] (an address that matches a node counts as that node). */
export function resolveTarget(config: Config, text: string): TransferTarget {
  if (config.nodes[text]) return nodeTarget(config, text)
  const parsed = parseServer(text)
  if (!parsed.ok) {
    throw new UsageError(`--to "${text}" is neither a configured node (${Object.keys(config.nodes).join(', ')}) nor an address: ${parsed.reason}`)
  }
  const node = Object.entries(config.nodes).find(([, value]) => value.address === text)
  if (node) return nodeTarget(config, node[0])
  return {name: text, address: parsed.value, isNode: false}
}
