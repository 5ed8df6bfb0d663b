// Where a bench:scale phase's time went, from the .cpuprofile files SCALE_PROFILE_DIR makes:
// self time by part (the engine's files, the simulation's, libraries, Node, GC) and the top
// functions. V8 samples wall time: on a loaded machine the seconds grow, the shares hold.
//   npx tsx bench/scale/profile-summary.ts DIR
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

interface CpuProfile {
  nodes: {id: number; callFrame: {functionName: string; url: string; lineNumber: number}}[]
  samples: number[]
  timeDeltas: number[]
}

/** The part of the process a frame belongs to, by its script. */
export function partOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  const path = url.replace(/^file:\/\//, '')
  const src = /\/src\/([\w-]+)\//.exec(path)
  if (src && !path.includes('node_modules')) return `src/${src[1]}`
  if (path.includes('/bench/scale/') || path.includes('/test/support/')) return 'simulation (bench/scale, test/support)'
  if (path.includes('node_modules')) return `library ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? '?'}`
  if (path.startsWith('node:')) return 'node internals'
  return 'other'
}

export function summarize(profile: CpuProfile, top = 12): {totalMs: number; parts: [string, number][]; functions: [string, number][]} {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parts = new Map<string, number>()
  const functions = new Map<string, number>()
  let totalUs = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    const us = profile.timeDeltas[i] ?? 0
    if (!node || node.callFrame.functionName === '(idle)') return
    totalUs += us
    const {functionName, url} = node.callFrame
    const part = partOf(url, functionName)
    parts.set(part, (parts.get(part) ?? 0) + us)
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|bench|test|node_modules)\//, '$1/')}`.trim()
    functions.set(key, (functions.get(key) ?? 0) + us)
  })
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).map(([key, us]) => [key, us / 1000] as [string, number])
  return {totalMs: totalUs / 1000, parts: sorted(parts), functions: sorted(functions).slice(0, top)}
}

if (process.argv[1]?.endsWith('profile-summary.ts') && process.argv[2]) {
  const dir = process.argv[2]
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const {totalMs, parts, functions} = summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile)
    const share = (ms: number) => `${((100 * ms) / totalMs).toFixed(0).padStart(3)} %`
    console.log(`\n${file}: ${(totalMs / 1000).toFixed(2)} s sampled (not idle)`)
    for (const [part, ms] of parts) console.log(`  ${share(ms)}  ${part}`)
    console.log('  top functions (self):')
    for (const [fn, ms] of functions) console.log(`  ${share(ms)}  ${fn}`)
  }
}
