import {jid} from '@xmpp/client'

export type SenderCheck = {ok: true; sender: string} | {ok: false; reason: string}

/** Bare, normalised forms of the admins allowed to transfer this session; a bad JID fails at setup. */
export function normaliseAdmins(admins: readonly string[] = []): Set<string> {
  return new Set(
    admins.map((admin) => {
      try {
        return jid(admin).bare().toString()
      } catch {
        throw new TypeError(`trustedAdmins: "${admin}" is not a JID`)
      }
    }),
  )
}

/**
 * A transfer is obeyed only from the user's own server (the bare domain JID) or from a
 * trusted admin. A stanza without `from` is refused too: the helper does not guess who sent it.
 */
export function checkSender(from: string | undefined, ownDomain: string, admins: ReadonlySet<string>): SenderCheck {
  if (!from) return {ok: false, reason: 'the packet names no sender (from)'}
  let address
  try {
    address = jid(from)
  } catch {
    return {ok: false, reason: `"${from}" is not a JID`}
  }
  if (!address.local && !address.resource && address.domain === ownDomain.toLowerCase()) return {ok: true, sender: address.toString()}
  const bare = address.bare().toString()
  if (admins.has(bare)) return {ok: true, sender: address.toString()}
  return {ok: false, reason: `${from} is neither the domain ${ownDomain} nor a trusted admin`}
}
