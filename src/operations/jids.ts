import jid from '@xmpp/jid'

import {UsageError} from '../errors.js'

export interface ParsedJid {
  bare: string
  resource: string | undefined
}

/** A JID from the command line: local@domain or local@domain/resource. */
export function parseUserJid(text: string): ParsedJid {
  let parsed
  try {
    parsed = jid(text)
  } catch (error) {
    throw new UsageError(`malformed JID "${text}": ${(error as Error).message}`)
  }
  const [address, ...resource] = text.split('/')
  // RFC 7622 forbids these in a localpart; @xmpp/jid would escape them quietly (XEP-0106) and look up someone else.
  if (
    !parsed.local ||
    !parsed.domain ||
    /[\s"&':<>]/.test(address.split('@')[0]) ||
    /[\s@]/.test(parsed.local) ||
    /[\s/@]/.test(parsed.domain) ||
    (resource.length > 0 && resource.join('/') === '')
  ) {
    throw new UsageError(`malformed JID "${text}": expected user@domain or user@domain/resource`)
  }
  return {bare: `${parsed.local}@${parsed.domain}`, resource: parsed.resource || undefined}
}
