import {createHash} from 'node:crypto'

import picomatch from 'picomatch'

/** How a user's home node is chosen (the config's `placement`). */
export type PlacementRule = {kind: 'glob'; pattern: string; node: string} | {kind: 'regex'; pattern: string; node: string}

export type Placement = {kind: 'rules'; rules: PlacementRule[]} | {kind: 'table'; homes: Map<string, string>} | {kind: 'hash'; nodes: string[]}

/** A function from bare JID to home node; undefined when nothing matches (the user stays where it is). */
export function homeFinder(placement: Placement): (bare: string) => string | undefined {
  switch (placement.kind) {
    case 'rules': {
      const tests = placement.rules.map((rule) => ({
        node: rule.node,
        test:
          rule.kind === 'glob'
            ? picomatch(rule.pattern, {nocase: true, dot: true})
            : (
                (re) => (bare: string) =>
                  re.test(bare)
              )(new RegExp(rule.pattern)),
      }))
      return (bare) => tests.find((rule) => rule.test(bare.toLowerCase()))?.node
    }
    case 'table':
      return (bare) => placement.homes.get(bare.toLowerCase())
    case 'hash':
      return (bare) => rendezvous(bare.toLowerCase(), placement.nodes)
  }
}

/**
 * Highest-random-weight hashing: each user goes to the node whose hash with
 * the user is highest. Stable, even, and adding or removing a node moves only
 * the users of that node.
 */
export function rendezvous(key: string, nodes: string[]): string | undefined {
  let best: string | undefined
  let bestWeight = -1n
  for (const node of nodes) {
    const weight = createHash('sha256').update(node).update('\u0000').update(key).digest().readBigUInt64BE(0)
    if (weight > bestWeight) {
      best = node
      bestWeight = weight
    }
  }
  return best
}
