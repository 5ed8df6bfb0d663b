import {type XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

const NS_SM = 'urn:xmpp:sm:3'

/** The parts of @xmpp/stream-management 0.14's state that the guard touches. */
interface StreamManagementState {
  inbound: number
}

const guarded = new WeakSet<object>()

/**
 * Corrects @xmpp/client 0.14's count of handled stanzas (XEP-0198 `h`) when stream
 * management is enabled.
 *
 * The library zeroes its counter only once the `<enabled/>` promise has settled, a few
 * microtasks after the element was parsed. When stanzas and the server's `<r/>` arrive in
 * the same read as `<enabled/>` (what a session gets when it binds while messages are
 * flowing to it, as in a transfer: offline messages flushed on presence, live ones to the
 * full JID), the `<a/>` goes out with the count from before stream management began.
 * ejabberd 23.01 then closes the stream ("Client acknowledged more stanzas than sent by
 * server", `undefined-condition`): the user drops out right after a move.
 *
 * The guard zeroes the counter when `<enabled/>` is parsed, and ignores the library's late
 * reset that follows, so every stanza after `<enabled/>` counts once. Call it before
 * `start()`; it is idempotent. The helper guards every client it opens or follows.
 */
export function guardStreamManagementCount(client: XmppClient): void {
  const sm = (client as unknown as {streamManagement?: StreamManagementState}).streamManagement
  if (!sm || guarded.has(sm) || typeof sm.inbound !== 'number') return
  guarded.add(sm)
  let inbound = sm.inbound
  // Set when <enabled/> was parsed: the library's own reset (in enabled()) is still to come.
  let resetPending = false
  Object.defineProperty(sm, 'inbound', {
    configurable: true,
    enumerable: true,
    get: () => inbound,
    set: (value: number) => {
      if (resetPending && value === 0) {
        resetPending = false
        return
      }
      inbound = value
    },
  })
  client.on('nonza', (element: Element) => {
    if (element.name === 'enabled' && element.attrs.xmlns === NS_SM) {
      inbound = 0
      resetPending = true
    }
  })
  // A stream that ends before enabled() ran: nothing is pending any more.
  client.on('disconnect', () => {
    resetPending = false
  })
}
