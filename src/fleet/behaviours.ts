import {type XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

import {TRANSFER_NAMESPACES, type TransferNamespace} from '../protocol/index.js'

/** How a rehearsal user treats a transfer packet. */
export type Behaviour = 'follow' | 'refuse' | 'ignore'

export const BEHAVIOURS: readonly Behaviour[] = ['follow', 'refuse', 'ignore']

/**
 * 'ignore': take the packet and never answer. xmpp.js's iq callee answers whatever a
 * handler resolves to (service-unavailable for nothing), so the handler never resolves;
 * nothing holds the pending promise, so it costs nothing once collected.
 */
export function ignoreTransfers(client: XmppClient): void {
  for (const namespace of TRANSFER_NAMESPACES) client.iqCallee.set(namespace, 'query', () => new Promise(() => {}))
}

/** The namespace of a transfer packet (an iq set with a query in either namespace), whatever it says. */
export function transferNamespaceOf(stanza: Element): TransferNamespace | undefined {
  if (stanza.name !== 'iq' || stanza.attrs.type !== 'set') return undefined
  return TRANSFER_NAMESPACES.find((namespace) => stanza.getChild('query', namespace))
}
