import type {Clock} from '../model/clock.js'
import type {SessionControl} from '../model/control.js'
import type {SessionDirectory} from '../model/directory.js'
import type {TransferRecord} from '../model/transfer.js'
import {watchReconnections} from './watch-reconnections.js'

export const KICK_REASON = 'This server is going down for maintenance: please reconnect'

/** Sessions the fallback applies to: they refused or ignored the packet and are still on their source. */
export function stuckOnSource(records: TransferRecord[]): TransferRecord[] {
  return records.filter((record) => record.outcome === 'unsupported' || record.outcome === 'not-moved')
}

/**
 * --fallback kick: close each stuck session (the server's kick, so the
 * client's own reconnect logic takes over), then watch for `waitMs` where it
 * comes back. Every such record ends `kicked`, with where it reappeared if it did.
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
  const kickedAt = clock.now()
  // A copy per record, watched from the kick: the watcher fills in where it went.
  const watched = new Map<TransferRecord, TransferRecord>()
  for (const record of records) {
    await control.kick(record.jid, KICK_REASON)
    watched.set(record, {...record, sentAt: kickedAt, outcome: 'not-moved', reconnectedTo: null, reconnectedJid: null, latencyMs: null})
  }
  const watcher = watchReconnections(directory, clock, {...options, knownJids: new Set(records.map((record) => record.jid))}, () => {})
  for (const copy of watched.values()) watcher.watch(copy)
  watcher.close()
  await watcher.done
  for (const [record, copy] of watched) {
    Object.assign(record, {
      outcome: 'kicked',
      reconnectedTo: copy.outcome === 'moved' ? copy.reconnectedTo : null,
      reconnectedJid: copy.outcome === 'moved' ? copy.reconnectedJid : null,
      // For a kicked session, from the kick to its reappearance.
      latencyMs: copy.outcome === 'moved' ? copy.latencyMs : null,
    })
    onSettled(record)
  }
}
