import {xml, type XmppClient} from '@xmpp/client'
import {type Element} from '@xmpp/xml'

import {type Timer} from './timer.js'
import {sendWithoutDelay} from './xmpp-internals.js'

/**
 * Resolves when the answer to iq `id` (result or error) has been written to the socket
 * (xmpp.js emits 'send' from the write callback), or after `ms` in any case. Call it
 * before the answer is sent: the iq callee sends it after the handler returns.
 */
export function whenReplySent(client: XmppClient, id: string | undefined, ms: number, timer: Timer): Promise<void> {
  return new Promise((resolve) => {
    const stopTimer = new AbortController()
    function onSend(element: Element) {
      if (element.name === 'iq' && element.attrs.id === id && (element.attrs.type === 'result' || element.attrs.type === 'error')) finish()
    }
    function finish() {
      stopTimer.abort()
      client.off('send', onSend)
      resolve()
    }
    client.on('send', onSend)
    void timer.sleep(ms, stopTimer.signal).then(() => {
      if (!stopTimer.signal.aborted) finish()
    })
  })
}

/**
 * Resolves once the server has processed everything this client sent so far: a stream is
 * processed in order, so the answer to a ping sent now (result or error) proves it. The
 * write callback alone is not enough: with Nagle on, a small write can wait ~40 ms in the
 * kernel for the server's delayed ACK, and a new session replacing this one within that
 * time makes the server drop it unread (we saw exactly that).
 */
export async function whenServerHasRead(client: XmppClient, ms: number): Promise<void> {
  sendWithoutDelay(client)
  const to = client.jid?.domain ?? (client.options.domain as string | undefined)
  if (!client.iqCaller || !to) return
  try {
    await client.iqCaller.request(xml('iq', {type: 'get', to}, xml('ping', {xmlns: 'urn:xmpp:ping'})), ms)
  } catch {
    // An error answer proves it as well; a timeout means we move anyway.
  }
}
