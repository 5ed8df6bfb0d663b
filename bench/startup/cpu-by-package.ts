// CPU self time by package from a V8 .cpuprofile (node --cpu-prof), up to a time: where the
// start-up's CPU goes (oclif, inquirer, @xmpp/client, yaml…, or our own modules by file).

const NODE = 'node (its own modules)'

interface ProfileNode {
  id: number
  callFrame: {functionName: string; url: string}
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** The package a frame's script belongs to: `@scope/name`, `ours:<file>` for our dist/, `node:…` for Node's own. */
export function packageOf(url: string): string | undefined {
  if (!url) return undefined
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (inModules) return inModules[1]
  if (url.includes('/dist/')) return `ours:${url.replace(/^.*\/dist\//, '').replace(/\.js$/, '')}`
  if (url.startsWith('node:')) return NODE
  return undefined
}

/**
 * Each sample's time goes to the innermost frame that belongs to a package other than Node
 * (so Node's module loader, loading yaml for our config module, counts for ours); GC and V8's
 * own work have their pseudo-frames. Idle time is left out. `untilMs`: samples after this are
 * ignored. Samples are wall time between ticks: on a loaded machine they overstate CPU.
 */
export function cpuSelfByPackage(profile: CpuProfile, untilMs = Infinity): Array<{name: string; ms: number}> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const total = new Map<string, number>()
  let elapsedUs = 0
  for (let i = 0; i < profile.samples.length; i++) {
    elapsedUs += profile.timeDeltas[i] ?? 0
    if (elapsedUs / 1000 > untilMs) break
    const leaf = byId.get(profile.samples[i])
    if (!leaf) continue
    const fn = leaf.callFrame.functionName
    if (fn === '(idle)') continue
    let name = fn === '(garbage collector)' || fn === '(program)' ? fn : undefined
    // Node's own frames (the module loader, streams) count for the package that called them.
    let nodeFrame: string | undefined
    for (let id: number | undefined = leaf.id; name === undefined && id !== undefined; id = parent.get(id)) {
      const owner = packageOf(byId.get(id)?.callFrame.url ?? '')
      if (owner === NODE) nodeFrame ??= owner
      else name = owner
    }
    name ??= nodeFrame ?? '(other)'
    total.set(name, (total.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  return [...total].map(([key, us]) => ({name: key, ms: Math.round(us / 1000)})).sort((a, b) => b.ms - a.ms)
}
