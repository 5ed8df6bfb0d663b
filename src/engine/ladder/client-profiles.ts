/**
 * What each client library did when its session was handed over (the socket closed with no
 * stream error, XEP-0198 on) — measured here, not assumed: the only place this knowledge
 * lives. A session is handed over only when its client is recognised (its XEP-0115 caps node)
 * and was measured to come back; any other goes to the next rung, because a client that does
 * not notice the close (aioxmpp over plain TCP did not, within 20 s) would hang until the
 * server's resume timeout. docs/servers.md has the full matrix and how it was measured.
 */
export interface ClientProfile {
  /** The library (or app) as people know it. */
  name: string
  /** XEP-0115 caps nodes it (or a typical app on it) advertises. */
  capsNodes: readonly string[]
  /** After a handover: it resumed the session elsewhere (`resumes`), logged in anew (`reconnects`), or did not notice (`hangs`). */
  afterHandover: 'resumes' | 'reconnects' | 'hangs'
  /** How it came back after a handover, measured: what the table in docs/servers.md says. */
  measured: string
}

export const CLIENT_PROFILES: readonly ClientProfile[] = [
  {
    name: '@xmpp/client 0.14',
    capsNodes: ['https://xmpp.js.org'],
    afterHandover: 'resumes',
    measured: 'resumed on another node 2.0 s later (TLS lab, 2026-12-01); 1.1 s on plain TCP',
  },
  {
    name: 'slixmpp 1.8.3',
    capsNodes: ['https://slixmpp.readthedocs.io', 'http://slixmpp.com/ver/1.8.3'],
    afterHandover: 'resumes',
    measured: 'resumed 3.1 s later with its xep_0198 plugin (TLS lab, 2026-12-01)',
  },
  {
    name: 'aioxmpp 0.13.3',
    capsNodes: ['http://aioxmpp.zombofant.net/', 'https://github.com/horazont/aioxmpp'],
    afterHandover: 'resumes',
    measured: 'resumed 1.2 s later over TLS (2026-12-01); over plain TCP it did not notice the close within 20 s',
  },
  {
    name: 'libstrophe 0.12.2',
    capsNodes: ['https://strophe.im/libstrophe'],
    // Alone it resumed (2.2 s; 10 of 10 in a burst with messages flowing), but in the drain of 40
    // sessions of four libraries it did not notice the close at all in 3 of 4 runs (no disconnect
    // within 20 s): a handover would leave it hanging. It reconnects after a redirect instead.
    afterHandover: 'hangs',
    measured: 'resumed 2.2 s after a close alone; in a loaded drain of 40 sessions it missed the close in 3 of 4 runs (TLS lab, 2026-12-02)',
  },
]

const byCapsNode = new Map(CLIENT_PROFILES.flatMap((profile) => profile.capsNodes.map((node) => [node.replace(/\/$/, ''), profile] as const)))

/** The measured profile of a session's client, by its caps node (a trailing slash does not count). */
export function profileOf(capsNode: string | undefined): ClientProfile | undefined {
  return capsNode ? byCapsNode.get(capsNode.replace(/\/$/, '')) : undefined
}

/** Whether a handover is the gentlest move for this session: resumable, and its client measured to come back. */
export function handoverFits(session: {resumable?: boolean; capsNode?: string}): boolean {
  const profile = profileOf(session.capsNode)
  return session.resumable === true && profile !== undefined && profile.afterHandover !== 'hangs'
}
