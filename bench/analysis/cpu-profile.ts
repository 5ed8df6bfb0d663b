// Where the CPU went, from V8 .cpuprofile files (node --cpu-prof): self time per
// function, summed over the files of each directory under `root` (cli/, fleet/).
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

export interface ProfileSummary {
  text: string
  groups: Record<string, {files: number; profiledS: number; busyS: number; top: {fn: string; selfS: number; share: number}[]}>
}

interface CpuProfile {
  nodes: {id: number; callFrame: {functionName: string; url: string; lineNumber: number}}[]
  samples: number[]
  timeDeltas: number[]
}

export function summarizeProfiles(root: string, top = 15): ProfileSummary {
  const out: ProfileSummary = {text: '', groups: {}}
  if (!existsSync(root)) return out
  const lines: string[] = []
  for (const group of readdirSync(root)) {
    const dir = join(root, group)
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
    const self = new Map<string, number>()
    let totalUs = 0
    for (const file of files) {
      const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
      const byId = new Map(profile.nodes.map((node) => [node.id, node]))
      const dt = profile.timeDeltas
      for (let i = 0; i < profile.samples.length; i++) {
        const node = byId.get(profile.samples[i])
        if (!node) continue
        const us = dt[i] ?? 0
        totalUs += us
        const frame = node.callFrame
        const where = frame.url ? `${frame.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '~/')}:${frame.lineNumber + 1}` : ''
        const key = `${frame.functionName || '(anonymous)'} ${where}`.trim()
        self.set(key, (self.get(key) ?? 0) + us)
      }
    }
    const ranked = [...self]
      .filter(([key]) => key !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
    const busyUs = [...self].filter(([key]) => key !== '(idle)').reduce((n, [, us]) => n + us, 0)
    const summary = {
      files: files.length,
      profiledS: totalUs / 1e6,
      busyS: busyUs / 1e6,
      top: ranked.map(([key, us]) => ({fn: key, selfS: Math.round(us / 1e4) / 100, share: Math.round((us / busyUs) * 1000) / 10})),
    }
    out.groups[group] = summary
    lines.push(`\ncpu profile: ${group} (${files.length} file(s), busy ${(busyUs / 1e6).toFixed(1)} s of ${(totalUs / 1e6).toFixed(1)} s profiled) — self time`)
    for (const {fn, selfS, share} of summary.top) lines.push(`  ${String(selfS).padStart(7)} s ${String(share).padStart(5)} %  ${fn}`)
  }
  out.text = lines.join('\n')
  return out
}
