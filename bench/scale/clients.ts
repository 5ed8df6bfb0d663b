// The simulated clients of bench:scale: four kinds, with the behaviours measured on the lab
// (/work/shared/lab-notes.md, docs/servers.md), so that every rung of the ladder is exercised.
import type {SimulatedWorld} from './world.js'

export const CLIENT_KINDS = ['helper', 'resumer', 'redirected', 'unreachable'] as const
/** Index into CLIENT_KINDS (stored per user in a byte). */
export type ClientKind = 0 | 1 | 2 | 3
export type ClientKindName = (typeof CLIENT_KINDS)[number]

export const HELPER: ClientKind = 0
export const RESUMER: ClientKind = 1
export const REDIRECTED: ClientKind = 2
export const UNREACHABLE: ClientKind = 3

/** Shares of the users of each kind (they need not sum to 1: they are weights). */
export type ClientMix = Record<ClientKindName, number>

/**
 * - helper: the client helper (xmpp.js with answer-transfers): accepts the packet and moves itself, make-before-break.
 * - resumer: refuses the packet (service-unavailable) and, a measured library with XEP-0198, resumes after a handover.
 * - redirected: refuses the packet; an unmeasured client (no handover for it), it follows `<see-other-host>`.
 * - unreachable: never answers (libstrophe did not), and does not come back once its stream is closed.
 */
export const DEFAULT_MIX: ClientMix = {helper: 0.6, resumer: 0.25, redirected: 0.14, unreachable: 0.01}

export interface ClientTraits {
  /** Its XEP-0115 caps node, as the companion lists it. */
  capsNode?: string
  resumable: boolean
  /** What it answers to a transfer packet. */
  packet: 'result' | 'refused' | 'silent'
  /** After a handover, a redirect or a close: whether it logs in again at all. */
  comesBack: boolean
}

export const CLIENT_TRAITS: Record<ClientKind, ClientTraits> = {
  [HELPER]: {capsNode: 'https://xmpp.js.org', resumable: true, packet: 'result', comesBack: true},
  // slixmpp's caps node is in engine/ladder/client-profiles.ts: measured to resume after a handover.
  [RESUMER]: {capsNode: 'https://slixmpp.readthedocs.io', resumable: true, packet: 'refused', comesBack: true},
  // No measured profile: the ladder skips the handover and redirects it.
  [REDIRECTED]: {capsNode: 'https://conversations.im', resumable: true, packet: 'refused', comesBack: true},
  [UNREACHABLE]: {resumable: false, packet: 'silent', comesBack: false},
}

/** The kind for a uniform draw `u` in [0, 1). */
export function pickKind(mix: ClientMix, u: number): ClientKind {
  const weights = CLIENT_KINDS.map((name) => mix[name])
  const total = weights.reduce((sum, w) => sum + w, 0)
  let acc = 0
  for (let kind = 0; kind < weights.length; kind++) {
    acc += weights[kind]! / total
    if (u < acc) return kind as ClientKind
  }
  return (weights.length - 1) as ClientKind
}

/** Client-side delays, measured on the lab (lab-notes.md, "Handover tried on the four libraries", redirects). */
export const DELAYS_MS = {
  /** From the helper's answer to its new login arriving on the target (its own work and the connect). */
  helperLogin: [20, 60],
  /** From the socket's close to the resumption reaching a node: 1.1-3.1 s over the libraries. */
  resume: [1_100, 3_100],
  /** From `<see-other-host>` to the new login: 31 ms (aioxmpp) to 1.3 s (xmpp.js). */
  redirect: [30, 1_300],
  /** From a stream error to the client's own reconnect (xmpp.js: 1 s). */
  reconnect: [1_000, 2_000],
  /** Before a client tries again after a failed login. */
  retry: [1_000, 2_000],
} as const satisfies Record<string, readonly [number, number]>

/** Failed logins a client retries before it gives up. */
const MAX_ATTEMPTS = 5

/**
 * The client logs in again after `delay`, on the node `pick()` gives (its SRV choice, or the
 * redirect's host), and tries again on failure. A client that does not come back never does.
 */
export function comeBack(
  world: SimulatedWorld,
  user: number,
  delay: readonly [number, number],
  pick: () => number | undefined,
  options: {freshResource?: boolean; resumed?: boolean} = {},
  attempt = 1,
): void {
  if (!CLIENT_TRAITS[world.kindOf(user)].comesBack) {
    world.figures.gone += 1
    return
  }
  void world.clock.sleep(world.between(...delay)).then(() => {
    const node = pick()
    if (node === undefined) return
    world.login(user, node, options, (ok) => {
      if (!ok && attempt < MAX_ATTEMPTS) comeBack(world, user, DELAYS_MS.retry, pick, options, attempt + 1)
      else if (!ok) world.figures.gone += 1
    })
  })
}
