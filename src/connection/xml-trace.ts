import {type Element} from '@xmpp/xml'

/**
 * Everything under these namespaces is authentication: SASL (RFC 6120), SASL2 (XEP-0388)
 * and FAST tokens (XEP-0484). PLAIN carries the password itself, SCRAM its proofs and the
 * server's signature, FAST a token worth as much as the password.
 */
const AUTH_NAMESPACES = new Set(['urn:ietf:params:xml:ns:xmpp-sasl', 'urn:xmpp:sasl:2', 'urn:xmpp:fast:0'])
/** Attributes an operator needs to debug a login, and that hold no secret. */
const KEPT_ATTRIBUTES = new Set(['xmlns', 'mechanism'])
const REDACTED = '[redacted]'

/**
 * The element as XML for a --debug trace, with every text and attribute value of an
 * authentication element (and of all its descendants) replaced, whatever its shape:
 * a string pattern missed payloads with children (SASL2's <initial-response> inside
 * <authenticate>), which printed the admin password.
 */
export function redactSasl(element: Element): string {
  // Stream features only list mechanisms: what an operator debugging a login wants to see.
  if (element.name === 'stream:features' || element.is('features', 'http://etherx.jabber.org/streams')) return element.toString()
  return (isAuthentication(element) ? redactTree(element) : redactInside(element)).toString()
}

function isAuthentication(element: Element): boolean {
  return AUTH_NAMESPACES.has(element.attrs.xmlns ?? '') || AUTH_NAMESPACES.has(element.getNS() ?? '')
}

/** Stream features and other wrappers: only their authentication children are redacted. */
function redactInside(element: Element): Element {
  if (!element.children.some((child) => typeof child !== 'string' && (isAuthentication(child) || child.children.length > 0))) return element
  const copy = shallowCopy(element)
  copy.children = element.children.map((child) => (typeof child === 'string' ? child : isAuthentication(child) ? redactTree(child) : redactInside(child)))
  return copy
}

function redactTree(element: Element): Element {
  const copy = shallowCopy(element)
  for (const name of Object.keys(copy.attrs)) {
    if (!KEPT_ATTRIBUTES.has(name) && copy.attrs[name] !== undefined) copy.attrs[name] = REDACTED
  }
  copy.children = element.children.map((child) => (typeof child === 'string' ? REDACTED : redactTree(child)))
  return copy
}

function shallowCopy(element: Element): Element {
  const copy = Object.create(Object.getPrototypeOf(element) as object) as Element
  Object.assign(copy, element, {attrs: {...element.attrs}, parent: null})
  return copy
}
