import {type Element} from '@xmpp/xml'

/** Three consecutive redirects, four tries in all (XEP-0051 v0.1 §2, "Repeated Redirections"). */
export const MAX_REDIRECTS = 3

export type RedirectCheck = {ok: true; redirected: Element} | {ok: false; reason: string}

/** The redirected `<iq>` inside `<iq type='error'><error code='302'>`, if the answer is a redirect. */
export function findRedirectedIq(answer: Element): Element | undefined {
  if (answer.name !== 'iq' || answer.attrs.type !== 'error') return undefined
  const error = answer.getChild('error')
  if (!error || error.attrs.code !== '302') return undefined
  return error.getChildElements().find((child) => child.name === 'iq')
}

export function isRedirect(answer: Element): boolean {
  return answer.name === 'iq' && answer.attrs.type === 'error' && answer.getChild('error')?.attrs.code === '302'
}

/**
 * The seed's three conditions: the original is a get, the redirected query is a
 * get, and its envelope keeps every attribute of the original but `to` (the id
 * in particular) and adds none.
 */
export function checkRedirect(original: Element, answer: Element): RedirectCheck {
  if (!isRedirect(answer)) return {ok: false, reason: 'the answer is not a 302 redirect'}
  if (original.attrs.type !== 'get') return {ok: false, reason: `only get queries are redirected, this one is '${original.attrs.type}'`}
  const redirected = findRedirectedIq(answer)
  if (!redirected) return {ok: false, reason: 'the 302 error carries no redirected <iq>'}
  if (redirected.attrs.type !== 'get') return {ok: false, reason: `the redirected query is '${redirected.attrs.type}', not get`}
  const to = redirected.attrs.to
  if (!to) return {ok: false, reason: 'the redirected query names no destination (to)'}
  const changed = changedAttributes(original, redirected)
  if (changed.length > 0) return {ok: false, reason: `the redirected envelope changed ${changed.map((name) => `'${name}'`).join(', ')}`}
  return {ok: true, redirected}
}

function changedAttributes(original: Element, redirected: Element): string[] {
  const names = new Set([...Object.keys(original.attrs), ...Object.keys(redirected.attrs)])
  names.delete('to')
  // A namespace declaration is not part of the envelope: a parser may add it to the embedded iq.
  names.delete('xmlns')
  return [...names].filter((name) => original.attrs[name] !== redirected.attrs[name]).sort()
}
