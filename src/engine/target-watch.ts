import type {Clock} from '../model/clock.js'
import type {SessionDirectory} from '../model/directory.js'

export interface TargetWatchOptions {
  /** Configured node name for each server name the directory reports. */
  nodeOf: (server: string) => string | undefined
  /** How often the cluster's members are asked for while sending. */
  everyMs: number
  /** The nodes up when the plan was made. */
  initiallyUp: Iterable<string>
}

/**
 * Which target nodes the cluster lists now, asked every few seconds while packets go out:
 * a node that stopped mid-drain kept receiving packets for ~10 s before (54 sessions sent
 * to a dead node in the lab). A failed ask changes nothing: the directory is watched elsewhere.
 */
export function watchTargets(directory: Pick<SessionDirectory, 'listServers'>, clock: Clock, options: TargetWatchOptions) {
  let up = new Set(options.initiallyUp)
  const left = new Map<string, number>()
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      // In short steps, so that stop() returns within a quarter second.
      const until = clock.now() + options.everyMs
      while (!stopped && clock.now() < until) await clock.sleep(Math.min(250, until - clock.now()))
      if (stopped) break
      try {
        const now = new Set((await directory.listServers()).flatMap((view) => options.nodeOf(view.server) ?? []))
        for (const node of up) if (!now.has(node) && !left.has(node)) left.set(node, clock.now())
        for (const node of now) left.delete(node)
        up = now
      } catch {
        // No news: keep what was known.
      }
    }
  })()
  return {
    isUp: (node: string) => up.has(node),
    /** Nodes that left the cluster during the run, and when. */
    get left(): ReadonlyMap<string, number> {
      return left
    },
    async stop(): Promise<void> {
      stopped = true
      await loop
    },
  }
}

export type TargetWatch = ReturnType<typeof watchTargets>
