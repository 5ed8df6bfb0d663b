import {xml} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

import {NS_CXFR, NS_DISCO_INFO, NS_SRVXFR, NS_STANZAS} from '../protocol/index.js'

/** What an iqCallee handler returns to answer `<iq type='error'>`. */
export function stanzaError(type: 'auth' | 'cancel' | 'modify' | 'wait', condition: string, text?: string): Element {
  return xml('error', {type}, xml(condition, {xmlns: NS_STANZAS}), text ? xml('text', {xmlns: NS_STANZAS}, text) : undefined)
}

/** The disco#info answer: a client that understands both transfer namespaces (XEP-0030 wants one identity). */
export function discoInfo(identity: {category: string; type: string; name?: string}): Element {
  return xml(
    'query',
    {xmlns: NS_DISCO_INFO},
    xml('identity', {category: identity.category, type: identity.type, name: identity.name}),
    xml('feature', {var: NS_DISCO_INFO}),
    xml('feature', {var: NS_SRVXFR}),
    xml('feature', {var: NS_CXFR}),
  )
}
