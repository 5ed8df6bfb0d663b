import parseDuration from 'parse-duration'
import {z} from 'zod'

import {parseDomain, parseServer} from '../protocol/index.js'

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
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    ctx.addIssue({code: z.ZodIssueCode.custom, message: `"${text}" is not an http(s):// URL`})
  }
})

const duration = (fallback: string) => z.preprocess((value) => (typeof value === 'number' ? String(value) : value), z.string().default(fallback).superRefine((text, ctx) => {
  const ms = /[a-z]\s*$/i.test(text) ? parseDuration(text) : null
  if (ms === null || ms === undefined || !(ms > 0)) ctx.addIssue({code: z.ZodIssueCode.custom, message: `"${text}" is not a duration like 10s or 2m`})
}))

export const configSchema = z.object({
  domain: z.string().superRefine((text, ctx) => {
    const parsed = parseDomain(text)
    if (!parsed.ok) ctx.addIssue({code: z.ZodIssueCode.custom, message: parsed.reason})
  }),
  admin: z.object({
    jid: z.string().regex(BARE_JID, 'must be a bare JID like admin@example.org'),
    service,
    /** Lab only: log in over plain TCP. Without it the login must be encrypted. */
    insecurePlain: z.boolean().default(false),
    passwordFile: z.string().min(1).optional(),
    resource: z.string().min(1).default('xtransfer'),
  }).strict(),
  directory: z.object({
    type: z.literal('ejabberd', {errorMap: () => ({message: 'only "ejabberd" is supported as a directory type'})}),
    api: httpUrl,
    timeout: duration('10s'),
    /** How long the directory may stay down (retrying) before a run stops with exit 3. */
    retryFor: duration('20s'),
  }).strict(),
  nodes: z.record(
    z.string().regex(NODE_NAME, 'node names are letters, digits, ".", "_" and "-"'),
    z.object({address: serverAddress, server: z.string().min(1)}).strict(),
  ).refine((nodes) => Object.keys(nodes).length > 0, 'list at least one node'),
}).strict()

export type Config = z.infer<typeof configSchema>
export type NodeConfig = Config['nodes'][string]
