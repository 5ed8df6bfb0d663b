import type {MoveMethodName} from '../../model/transfer.js'

/**
 * The ways a session can be moved, gentlest first: the XEP-0051 packet (the client moves
 * itself, make-before-break), a handover (the socket closes with no stream error; XEP-0198
 * resumes the session elsewhere with its queue), a `<see-other-host>` redirect, and a close
 * with a stream error clients treat as "reconnect" (system-shutdown).
 */
export type MoveMethod = MoveMethodName

export const ALL_METHODS: readonly MoveMethod[] = ['packet', 'handover', 'redirect', 'close']

/** `--methods packet,redirect`: the rungs the operator allows, in the order given. */
export function parseMethods(text: string): MoveMethod[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  if (names.length === 0) throw new Error('name at least one method (packet, handover, redirect, close)')
  const seen = new Set<string>()
  for (const name of names) {
    if (!(ALL_METHODS as readonly string[]).includes(name)) throw new Error(`"${name}" is not a method: use packet, handover, redirect, close`)
    if (seen.has(name)) throw new Error(`"${name}" is named twice`)
    seen.add(name)
  }
  return names as MoveMethod[]
}
