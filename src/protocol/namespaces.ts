/** The 2002 namespace of XEP-0051 v0.1's server-transfer packet. */
export const NS_SRVXFR = 'jabber:iq:srvxfr'
/** XEP-0051 v0.2 moved connection transfer to this namespace; newer clients listen here. */
export const NS_CXFR = 'urn:xmpp:cxfr'
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas'
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'

export type TransferNamespace = typeof NS_SRVXFR | typeof NS_CXFR
export const TRANSFER_NAMESPACES: readonly TransferNamespace[] = [NS_SRVXFR, NS_CXFR]

/** How an operator names the namespaces on the command line. */
export type NamespaceChoice = 'srvxfr' | 'cxfr' | 'both'

export function namespacesFor(choice: NamespaceChoice): TransferNamespace[] {
  if (choice === 'srvxfr') return [NS_SRVXFR]
  if (choice === 'cxfr') return [NS_CXFR]
  return [NS_SRVXFR, NS_CXFR]
}
