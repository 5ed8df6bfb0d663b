import xml, {type Element} from '@xmpp/xml'

import {NS_CXFR, NS_SRVXFR, type TransferNamespace, TRANSFER_NAMESPACES} from './namespaces.js'
import {formatServer, parseDomain, parseServer, type Parsed, type ServerAddress} from './server-address.js'

export interface TransferRequest {
  namespace: TransferNamespace
  /** The domain to log in to (often the same one). */
  domain: string
  server: ServerAddress
}

export interface TransferEnvelope {
  to: string
  from?: string
  id: string
}

/** `<iq type='set'><query xmlns='jabber:iq:srvxfr'><domain/><server/></query></iq>` (or urn:xmpp:cxfr). */
export function buildTransferIq(envelope: TransferEnvelope, request: TransferRequest): Element {
  return xml(
    'iq',
    {type: 'set', to: envelope.to, from: envelope.from, id: envelope.id},
    xml('query', {xmlns: request.namespace}, xml('domain', {}, request.domain), xml('server', {}, formatServer(request.server))),
  )
}

export function isTransferIq(stanza: Element): boolean {
  return stanza.name === 'iq' && stanza.attrs.type === 'set' && TRANSFER_NAMESPACES.some((ns) => stanza.getChild('query', ns))
}

/**
 * Read a transfer packet. Anything that is not exactly one well-formed transfer
 * query with one valid `<domain>` and one valid `<server>` is refused with a reason.
 */
export function parseTransferIq(stanza: Element): Parsed<TransferRequest> {
  if (stanza.name !== 'iq') return {ok: false, reason: `<${stanza.name}> is not an iq`}
  if (stanza.attrs.type !== 'set') return {ok: false, reason: `a transfer is an iq of type 'set', not '${stanza.attrs.type}'`}
  const payload = stanza.getChildElements()
  if (payload.length !== 1) return {ok: false, reason: `the iq carries ${payload.length} children, a transfer carries one <query>`}
  return parseTransferQuery(payload[0])
}

export function parseTransferQuery(query: Element): Parsed<TransferRequest> {
  const namespace = query.attrs.xmlns
  if (query.name !== 'query' || (namespace !== NS_SRVXFR && namespace !== NS_CXFR)) {
    return {ok: false, reason: `<${query.name} xmlns='${namespace ?? ''}'> is not a transfer query`}
  }
  // In the query's namespace: a <domain> from another namespace is someone else's data.
  const domains = query.getChildren('domain', namespace)
  const servers = query.getChildren('server', namespace)
  if (domains.length !== 1) return {ok: false, reason: `a transfer needs exactly one <domain>, found ${domains.length}`}
  if (servers.length !== 1) return {ok: false, reason: `a transfer needs exactly one <server>, found ${servers.length}`}
  const domain = parseDomain(domains[0].text().trim())
  if (!domain.ok) return {ok: false, reason: `<domain>: ${domain.reason}`}
  const server = parseServer(servers[0].text().trim())
  if (!server.ok) return {ok: false, reason: `<server>: ${server.reason}`}
  return {ok: true, value: {namespace, domain: domain.value, server: server.value}}
}
