import parseDuration from 'parse-duration'
import {z} from 'zod'

import {parseDomain, parseServer} from '../protocol/index.js'
import {placementSchema} from './placement-config.js'

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const BARE_JID = /^[^@/\s]+@[^@/\s]+$/

const serverAddress = z.string().superRefine((text, ctx) => {
  const parsed = parseServer(text)
  if (!parsed.ok) ctx.addIssue({code: z.ZodIssueCode.custom, message: `bad address: ${parsed.reason}`})
})

const service = z.string().superRefine((text, ctx) => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    ctx.addIssue({code: z.ZodIssueCode.custom, message: `"${text}" is not a URL like xmpp://host:5222 or xmpps://host:5223`})
    return
  }
  if (url.protocol !== 'xmpp:' && url.protocol !== 'xmpps:') {
    ctx.addIssue({code: z.ZodIssueCode.custom, message: `"${text}" must start with xmpp:// (STARTTLS) or xmpps:// (direct TLS)`})
  }
})

const httpUrl = z.string().superRefine((text, ctx) => {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    // Not a URL: the issue below says so.
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    ctx.addIssue({code: z.ZodIssueCode.custom, message: `"${text}" is not an http(s):// URL`})
  }
})

const duration = (fallback: string) =>
  z.preprocess(
    (value) => (typeof value === 'number' ? String(value) : value),
    z
      .string()
      .default(fallback)
      .superRefine((text, ctx) => {
        const ms = /[a-z]\s*$/i.test(text) ? parseDuration(text) : null
        if (ms === null || ms === undefined || !(ms > 0)) ctx.addIssue({code: z.ZodIssueCode.custom, message: `"${text}" is not a duration like 10s or 2m`})
      }),
  )

/** One value, or several tried in order (failover): every ejabberd node serves the API and c2s. */
const oneOrMore = <T extends z.ZodTypeAny>(item: T) => z.union([item, z.array(item).min(1, 'list at least one')])

export const configSchema = z
  .object({
    domain: z.string().superRefine((text, ctx) => {
      const parsed = parseDomain(text)
      if (!parsed.ok) ctx.addIssue({code: z.ZodIssueCode.custom, message: parsed.reason})
    }),
    admin: z
      .object({
        jid: z.string().regex(BARE_JID, 'must be a bare JID like admin@example.org'),
        /** Where the admin logs in; a list is tried in order. */
        service: oneOrMore(service),
        /** Lab only: log in over plain TCP. Without it the login must be encrypted. */
        insecurePlain: z.boolean().default(false),
        passwordFile: z.string().min(1).optional(),
        resource: z.string().min(1).default('xtransfer'),
      })
      .strict(),
    directory: z.discriminatedUnion(
      'type',
      [
        z
          .object({
            type: z.literal('ejabberd'),
            /** mod_http_api's URL; a list is tried in order (ejabberd serves the API on every node). */
            api: oneOrMore(httpUrl),
            timeout: duration('10s'),
            /** How long the directory may stay down (retrying) before a run stops with exit 3. */
            retryFor: duration('20s'),
          })
          .strict(),
        /** XEP-0133 ad-hoc commands: the admin logs in to each node's own service (nodes.*.service). */
        z
          .object({
            type: z.literal('xep0133'),
            timeout: duration('10s'),
            /** How long every node may stay unreachable (retrying) before a run stops with exit 3. */
            retryFor: duration('20s'),
          })
          .strict(),
      ],
      {
        errorMap: (issue, ctx) => ({
          message: issue.code === 'invalid_union_discriminator' ? 'only "ejabberd" and "xep0133" are supported as directory types' : ctx.defaultError,
        }),
      },
    ),
    nodes: z
      .record(
        z.string().regex(NODE_NAME, 'node names are letters, digits, ".", "_" and "-"'),
        z
          .object({
            address: serverAddress,
            /** ejabberd: the node's Erlang name (required). xep0133: how sessions name their server (default: the node's name). */
            server: z.string().min(1).optional(),
            /** xep0133: where the admin logs in to this node (default: xmpp://<address>). */
            service: service.optional(),
          })
          .strict(),
      )
      .refine((nodes) => Object.keys(nodes).length > 0, 'list at least one node'),
    /** Where each user belongs, for `xtransfer rehome`. */
    placement: placementSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const placement = config.placement
    if (!placement) return
    const named = placement.rules
      ? placement.rules.map((rule, i) => [rule.node, ['placement', 'rules', i, 'node']] as const)
      : placement.hash && placement.hash !== true
        ? placement.hash.nodes.map((node, i) => [node, ['placement', 'hash', 'nodes', i]] as const)
        : []
    for (const [node, path] of named) {
      if (!config.nodes[node])
        ctx.addIssue({code: z.ZodIssueCode.custom, path: [...path], message: `unknown node "${node}" (configured: ${Object.keys(config.nodes).join(', ')})`})
    }
  })
  .superRefine((config, ctx) => {
    if (config.directory.type !== 'ejabberd') return
    for (const [name, node] of Object.entries(config.nodes)) {
      if (node.server === undefined)
        ctx.addIssue({code: z.ZodIssueCode.invalid_type, expected: 'string', received: 'undefined', path: ['nodes', name, 'server']})
    }
  })
  .transform((config) => ({
    ...config,
    nodes: Object.fromEntries(Object.entries(config.nodes).map(([name, node]) => [name, {...node, server: node.server ?? name}])),
  }))

export type Config = z.infer<typeof configSchema>
export type NodeConfig = Config['nodes'][string]

/** The admin's services, in the order they are tried. */
export function adminServices(config: Config): string[] {
  return [config.admin.service].flat()
}

/** The directory API's URLs, in the order they are tried. */
export function apiUrls(directory: Extract<Config['directory'], {type: 'ejabberd'}>): string[] {
  return [directory.api].flat()
}

/** Where the admin logs in to a node's own service (xep0133 directory). */
export function nodeService(node: NodeConfig): string {
  return node.service ?? `xmpp://${node.address}`
}
