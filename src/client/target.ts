import {formatServer, type TransferRequest} from '../protocol/index.js'

/** Where a session lives: the service URI it connects to and the domain it logs in to. */
export interface SessionTarget {
  service: string
  domain: string
}

export const DEFAULT_C2S_PORT = 5222

/** `xmpp://host:5222`, `xmpp://[2001:db8::1]:5222`: the service a transfer packet points to. */
export function targetOf(request: TransferRequest): SessionTarget {
  const server = {...request.server, port: request.server.port ?? DEFAULT_C2S_PORT}
  return {service: `xmpp://${formatServer(server)}`, domain: request.domain}
}

export function sameTarget(a: SessionTarget, b: SessionTarget): boolean {
  return a.service.toLowerCase() === b.service.toLowerCase() && a.domain.toLowerCase() === b.domain.toLowerCase()
}

export function describeTarget(target: SessionTarget): string {
  return `${target.service} (domain ${target.domain})`
}
