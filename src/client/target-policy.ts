import {parseServer, type ServerAddress, type TransferRequest} from '../protocol/index.js'
import {DEFAULT_C2S_PORT} from './target.js'

/** A server as the policy sees it: parsed, the default port filled in. */
export type AllowedServer = ServerAddress & {port: number}

/**
 * Where transfers may send this client: `host:port` (that port only), `host` (any port),
 * `*.example.org` (any name under it, any port; `*.example.org:5222` that port),
 * `[2001:db8::1]:5222`; or a function deciding each server.
 */
export type AllowedServers = readonly string[] | ((server: AllowedServer) => boolean)

export type TargetCheck = {ok: true} | {ok: false; reason: string}

/** Decides whether a transfer packet's `<domain>` and `<server>` may be followed. */
export type TargetPolicy = (request: TransferRequest, ownDomain: string) => TargetCheck

interface Rule {
  host: string
  /** `*.host`: names under host (not host itself). */
  under: boolean
  port?: number
}

/**
 * The policy for the option. A transfer never changes the domain: the new login goes to
 * the packet's `<domain>` with the user's credentials, so another domain is another
 * party collecting them. The server must be one the app allows; without the option,
 * names under the user's own domain (the domain itself included), which is where DNS for
 * that domain already sends the client and which an admin account cannot create. IP
 * addresses and other names need the option. A bad entry fails at setup (TypeError).
 */
export function targetPolicy(allowed: AllowedServers | undefined): TargetPolicy {
  const allows = typeof allowed === 'function' ? allowed : allowed ? listed(allowed.map(parseRule)) : undefined
  return (request, ownDomain) => {
    const domain = ownDomain.toLowerCase()
    if (request.domain.toLowerCase() !== domain) {
      return {ok: false, reason: `the packet names the domain ${request.domain}, and this session belongs to ${ownDomain}: a transfer never changes domains`}
    }
    const server: AllowedServer = {...request.server, host: canonicalHost(request.server), port: request.server.port ?? DEFAULT_C2S_PORT}
    const ok = allows ? allows(server) : server.kind === 'hostname' && (server.host === domain || server.host.endsWith(`.${domain}`))
    if (ok) return {ok: true}
    const where = server.kind === 'ipv6' ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`
    return {
      ok: false,
      reason: allows
        ? `${where} is not among the servers this client may be sent to (allowedServers)`
        : `${where} is not under ${ownDomain}, and the app allows no other server (allowedServers)`,
    }
  }
}

function listed(rules: Rule[]): (server: AllowedServer) => boolean {
  return (server) =>
    rules.some(
      (rule) =>
        (rule.under ? server.kind === 'hostname' && server.host.endsWith(`.${rule.host}`) : server.host === rule.host) &&
        (rule.port === undefined || rule.port === server.port),
    )
}

function parseRule(entry: string): Rule {
  const under = typeof entry === 'string' && entry.startsWith('*.')
  const parsed = parseServer(under ? entry.slice(2) : entry)
  if (!parsed.ok) throw new TypeError(`allowedServers: "${entry}" is not a server (${parsed.reason})`)
  if (under && parsed.value.kind !== 'hostname') throw new TypeError(`allowedServers: "${entry}": only names have names under them`)
  return {host: canonicalHost(parsed.value), under, ...(parsed.value.port === undefined ? {} : {port: parsed.value.port})}
}

/** Lower-case names; IPv6 in its shortest form (2001:0db8::0001 and 2001:db8::1 are one host). */
function canonicalHost(server: ServerAddress): string {
  if (server.kind !== 'ipv6') return server.host.toLowerCase()
  return new URL(`http://[${server.host}]/`).hostname.slice(1, -1)
}
