import {readFile} from 'node:fs/promises'
import {extname, resolve} from 'node:path'

import {z} from 'zod'

import {ConfigError} from '../errors.js'
import type {Placement} from '../engine/placement.js'

const BARE_JID = /^[^@/\s]+@[^@/\s]+$/

const rule = z.union(
  [
    z.object({match: z.string().min(1), node: z.string().min(1)}).strict(),
    z
      .object({
        regex: z
          .string()
          .min(1)
          .superRefine((text, ctx) => {
            try {
              new RegExp(text)
            } catch (error) {
              ctx.addIssue({code: z.ZodIssueCode.custom, message: `bad regex: ${(error as Error).message}`})
            }
          }),
        node: z.string().min(1),
      })
      .strict(),
  ],
  {errorMap: () => ({message: 'each rule is {match: GLOB, node: NAME} or {regex: REGEX, node: NAME}'})},
)

/** `placement:` in the config: exactly one of rules, file or hash. */
export const placementSchema = z
  .object({
    rules: z.array(rule).min(1).optional(),
    file: z.string().min(1).optional(),
    hash: z.union([z.literal(true), z.object({nodes: z.array(z.string().min(1)).min(1)}).strict()]).optional(),
  })
  .strict()
  .superRefine((placement, ctx) => {
    const kinds = (['rules', 'file', 'hash'] as const).filter((key) => placement[key] !== undefined)
    if (kinds.length !== 1)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `placement is exactly one of rules: [...], file: PATH or hash: true | {nodes: [...]} (found ${kinds.join(' and ') || 'none'})`,
      })
  })

export type PlacementConfig = z.infer<typeof placementSchema>

/** Turn the config's placement into the engine's, checking every node it names. */
export async function loadPlacement(placement: PlacementConfig | undefined, nodes: string[], configPath = '.'): Promise<Placement> {
  if (!placement) throw new ConfigError('no placement in the config: add placement.rules, placement.file or placement.hash (see docs/scenarios.md)')
  const known = new Set(nodes)
  const check = (node: string, where: string) => {
    if (!known.has(node)) throw new ConfigError(`${where}: unknown node "${node}" (configured: ${nodes.join(', ')})`)
  }
  if (placement.rules) {
    placement.rules.forEach((rule, i) => check(rule.node, `placement.rules.${i}.node`))
    return {
      kind: 'rules',
      rules: placement.rules.map((rule) =>
        'match' in rule ? {kind: 'glob', pattern: rule.match, node: rule.node} : {kind: 'regex', pattern: rule.regex, node: rule.node},
      ),
    }
  }
  if (placement.hash) {
    const over = placement.hash === true ? nodes : placement.hash.nodes
    over.forEach((node) => check(node, 'placement.hash.nodes'))
    return {kind: 'hash', nodes: over}
  }
  const path = resolve(configPath, '..', placement.file!)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`placement.file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  const homes = new Map<string, string>()
  const add = (jid: string, node: string, where: string) => {
    if (!BARE_JID.test(jid)) throw new ConfigError(`${where}: "${jid}" is not a bare JID`)
    check(node, where)
    homes.set(jid.toLowerCase(), node)
  }
  if (extname(path).toLowerCase() === '.json') {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw new ConfigError(`placement.file ${path} is not JSON: ${(error as Error).message}`)
    }
    if (!data || typeof data !== 'object' || Array.isArray(data))
      throw new ConfigError(`placement.file ${path}: expected an object {"user@domain": "node-1", ...}`)
    for (const [jid, node] of Object.entries(data)) add(jid, String(node), `${path}: ${jid}`)
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      const trimmed = line.trim()
      if (!trimmed || trimmed.startsWith('#')) return
      const [jid, node, ...rest] = trimmed.split(',').map((cell) => cell.trim())
      if (i === 0 && /^jid$/i.test(jid)) return
      if (!node || rest.length > 0) throw new ConfigError(`${path} line ${i + 1}: expected "jid,node"`)
      add(jid, node, `${path} line ${i + 1}`)
    })
  }
  return {kind: 'table', homes}
}
