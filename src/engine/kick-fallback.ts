import type {Clock} from '../model/clock.js'
import type {SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import type {TransferRecord} from '../model/transfer.js'
import {trackSessions} from './track-sessions.js'

export const KICK_REASON = 'This server is going down for maintenance: please reconnect'

/** Sessions the fallback applies to: they refused or ignored the packet and are still on their source. */
export function stuckOnSource(records: TransferRecord[]): TransferRecord[] {
  return records.filter((record) => record.outcome === 'unsupported' || record.outcome === 'not-moved')
}

/**
 * --fallback kick (servers without the companion): close each stuck session the server's
 * own way, so that the client's reconnect logic takes over, then watch for `waitMs` where
 * it comes back. Every such record ends `kicked`, with where it reappeared if it did.
 */
export async function kickStuckSessions(
  records: TransferRecord[],
  directory: Pick<SessionDirectory, 'sessionsOf'>,
  control: Pick<SessionControl, 'kick' | 'abilities'>,
  clock: Clock,
  options: {waitMs: number; pollMs: number},
  onSettled: (record: TransferRecord) => void,
): Promise<void> {
  if (records.length === 0 || !(await control.abilities()).kick) return
  const tracker = trackSessions(directory, clock, {
    pollMs: options.pollMs,
    knownJids: new Set(records.map((record) => record.jid)),
    downAfterMs: options.waitMs,
  })
  const kicked = await Promise.all(
    records.map(async (record) => {
      const kickedAt = clock.now()
      await control.kick(record.jid, KICK_REASON)
      return {record, sighting: tracker.until(record, kickedAt, kickedAt + options.waitMs), kickedAt}
    }),
  )
  tracker.close()
  for (const {record, sighting, kickedAt} of kicked) {
    const seen = await sighting
    Object.assign(record, {
      outcome: 'kicked',
      reconnectedTo: seen.kind === 'landed' ? seen.session.node : null,
      reconnectedJid: seen.kind === 'landed' ? seen.session.jid : null,
      // For a kicked session, from the kick to its reappearance.
      latencyMs: seen.kind === 'landed' ? seen.at - kickedAt : null,
    })
    onSettled(record)
  }
  await tracker.done.catch(() => {})
}
