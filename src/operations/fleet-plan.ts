import type {Behaviour} from '../fleet/index.js'

/** user%04d → user0001…: the names a rehearsal fleet logs in as. */
export function fleetUsers(format: string, first: number, count: number): string[] {
  const match = /%(0?)(\d*)d/.exec(format)
  if (!match) return Array.from({length: count}, (_, i) => `${format}${first + i}`)
  const width = Number(match[2] || 0)
  return Array.from({length: count}, (_, i) => format.replace(match[0], String(first + i).padStart(width, match[1] ? '0' : ' ')))
}

/**
 * A reproducible split of the fleet: the first share refuses transfers, the next
 * ignores them, the rest follow — spread evenly over the list, not bunched.
 */
export function fleetBehaviours(users: string[], refuseShare: number, ignoreShare: number): Map<string, Behaviour> {
  const behaviours = new Map<string, Behaviour>()
  let refuse = 0
  let ignore = 0
  users.forEach((user, i) => {
    const seen = i + 1
    if (refuse < Math.round(seen * refuseShare)) {
      refuse++
      behaviours.set(user, 'refuse')
    } else if (ignore < Math.round(seen * ignoreShare)) {
      ignore++
      behaviours.set(user, 'ignore')
    } else {
      behaviours.set(user, 'follow')
    }
  })
  return behaviours
}
