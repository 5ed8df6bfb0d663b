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
  if (!parsed.local || !parsed.domain || /\s/.test(text.split('/')[0]) || /[\s@]/.test(parsed.local) || /[\s/@]/.test(parsed.domain)) {
    throw new UsageError(`malformed JID "${text}": expected user@domain or user@domain/resource`)
  }
  return {bare: `${parsed.local}@${parsed.domain}`, resource: parsed.resource || undefined}
}
