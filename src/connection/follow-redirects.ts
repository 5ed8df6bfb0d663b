import {Element} from '@xmpp/xml'

import {checkRedirect, isRedirect, MAX_REDIRECTS} from '../protocol/index.js'

/** Sends an iq and resolves with the answering iq, result or error alike; never throws on type='error'. */
export type IqExchange = (iq: Element) => Promise<Element>

export type RedirectFailure = 'too-many-redirects' | 'loop' | 'invalid-redirect'

export class RedirectError extends Error {
  /** The `to` of every query tried, then the target that was refused (for a loop or one redirect too many). */
  readonly hops: string[]
  readonly reason: RedirectFailure

  constructor(reason: RedirectFailure, hops: string[], message: string) {
    super(message)
    this.name = 'RedirectError'
    this.reason = reason
    this.hops = hops
  }
}

export interface FollowRedirectsOptions {
  /** Redirects followed before giving up; XEP-0051 v0.1 says three (four tries). */
  maxRedirects?: number
}

/**
 * Send `iq` and follow XEP-0051 v0.1 302 redirects. Each redirect is checked
 * against the query actually sent last, so the id is kept from end to end.
 * Any answer that is not a redirect (a result, another error) is returned as is.
 */
export async function followRedirects(exchange: IqExchange, iq: Element, options: FollowRedirectsOptions = {}): Promise<Element> {
  const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS
  const tried = [destination(iq)]
  let sent = iq
  for (;;) {
    const answer = await exchange(sent)
    if (!isRedirect(answer)) return answer

    const check = checkRedirect(sent, answer)
    if (!check.ok) {
      throw new RedirectError('invalid-redirect', tried, `invalid redirect from ${tried.at(-1)}: ${check.reason} (${describeHops(tried)})`)
    }
    const next = unwrap(check.redirected)
    const hops = [...tried, destination(next)]
    if (tried.includes(destination(next))) {
      throw new RedirectError('loop', hops, `redirect loop: ${describeHops(hops)}`)
    }
    if (tried.length > maxRedirects) {
      throw new RedirectError('too-many-redirects', hops, `more than ${maxRedirects} redirects: ${describeHops(hops)}`)
    }
    tried.push(destination(next))
    sent = next
  }
}

/** The redirected query, detached from the error it came in; a namespace declaration is the stream's business. */
function unwrap(redirected: Element): Element {
  const next = copy(redirected)
  delete next.attrs.xmlns
  return next
}

// ltx 3 has no Element#clone (its clone is a separate module @xmpp/xml does not re-export).
function copy(element: Element): Element {
  const result = new Element(element.name, {...element.attrs})
  for (const child of element.children) result.append(typeof child === 'string' ? child : copy(child))
  return result
}

function destination(iq: Element): string {
  return iq.attrs.to ?? ''
}

function describeHops(hops: string[]): string {
  return hops.map((hop) => hop || '(own server)').join(' → ')
}
