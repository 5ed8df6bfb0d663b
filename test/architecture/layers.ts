// The structure the imports of src/ draw, read with TypeScript's own parser: which folder (a
// layer) imports which. docs/architecture.svg is drawn from it (npm run architecture) and
// test/unit/architecture.test.ts holds the rules of ../shared/STYLE.md against it.
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import ts from 'typescript'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SRC = join(REPO, 'src')

/** One import of one source file: what it names, resolved to a path under src/ when it is ours. */
export interface ImportEdge {
  from: string
  /** `src/...` for our own modules, else the package name. */
  to: string
  typeOnly: boolean
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : []
  })
}

/** Every import of every file of src/ (type-only ones marked: they vanish at run time). */
export function imports(): ImportEdge[] {
  return sourceFiles(SRC).flatMap((file) => {
    const text = readFileSync(file, 'utf8')
    const info = ts.preProcessFile(text, true, true)
    const from = relative(REPO, file)
    return info.importedFiles.map(({fileName}) => {
      const to = fileName.startsWith('.') ? relative(REPO, resolve(dirname(file), fileName.replace(/\.js$/, '.ts'))) : packageOf(fileName)
      const typeOnly = new RegExp(`import\\s+type\\s[^;]*from\\s+['"]${fileName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}['"]`).test(text)
      return {from, to, typeOnly}
    })
  })
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** The layer of a path under src/: its first folder, or `(leaf files)` for src/*.ts. */
export function layerOf(path: string): string {
  const parts = relative('src', path).split('/')
  return parts.length > 1 ? parts[0] : '(leaf files)'
}

/** Layer -> layer import counts (our own modules only, self-imports left out). */
export function layerGraph(edges: ImportEdge[] = imports()): Map<string, Map<string, number>> {
  const graph = new Map<string, Map<string, number>>()
  for (const edge of edges) {
    if (!edge.to.startsWith('src/')) continue
    const from = layerOf(edge.from)
    const to = layerOf(edge.to)
    if (from === to) continue
    const out = graph.get(from) ?? new Map<string, number>()
    out.set(to, (out.get(to) ?? 0) + 1)
    graph.set(from, out)
  }
  return graph
}

/** What each layer is for: the legend of the picture (and of docs/architecture.md). */
export const LAYERS: Record<string, string> = {
  commands: 'oclif commands: parse, confirm, call one service, render',
  cli: 'the terminal: flags, prompts, the transfer flow, signals',
  hooks: 'oclif hooks (an unknown command)',
  render: 'tables, the report, progress, the HTML page',
  operations: 'the services: plan and run a transfer, list, probe, init',
  cluster: 'builds the directory and the control from the config',
  adapters: 'the servers: ejabberd (HTTP API, companion), XEP-0133 (Prosody)',
  engine: 'plan, pace, the ladder, tracking, the report',
  journal: 'runs on disk: journal, replay, locks',
  config: 'the config file and the password',
  connection: "the admin's XMPP link: iq, redirects, retry",
  protocol: 'XEP-0051 packets, redirect rules, addresses (imports nothing of ours)',
  model: 'the types every layer shares',
  client: 'the helper applications embed (xtransfer/client)',
  fleet: 'the rehearsal fleet (simulate, tests, bench)',
  '(leaf files)': 'errors and their exit codes; did-you-mean',
}

/** Layers every other one may use: their arrows would only hide the others (the legend says so). */
const SHARED = new Set(['model', '(leaf files)'])

/** Graphviz's DOT for the layers, top (commands) to bottom (model). */
export function layerDot(graph = layerGraph()): string {
  const layers = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((out) => [...out.keys()])])].sort()
  const lines = [
    'digraph layers {',
    '  rankdir=TB; nodesep=0.35; ranksep=0.45;',
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", color="#7a869a", fontname="Helvetica", fontsize=11];',
    '  edge [color="#9aa5b8", arrowsize=0.6];',
    ...layers.map((layer) => `  "${layer}" [label=<<b>${layer}</b><br/><font point-size="9">${escape(LAYERS[layer] ?? '')}</font>>];`),
    ...[...graph].flatMap(([from, out]) =>
      [...out]
        .sort()
        .filter(([to]) => !SHARED.has(to))
        .map(([to, n]) => `  "${from}" -> "${to}" [penwidth=${Math.min(3, 0.6 + Math.log2(n) / 2).toFixed(2)}];`),
    ),
    '  { rank=sink; "model"; "(leaf files)"; }',
    '  legend [shape=plaintext, style="", label="An arrow: the layer imports the other. Every layer may use model and the leaf files (not drawn)."];',
    '}',
  ]
  return `${lines.join('\n')}\n`
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The picture of docs/architecture.svg, drawn with Graphviz (compiled to WebAssembly: @viz-js/viz). */
export async function layerSvg(): Promise<string> {
  const {instance} = await import('@viz-js/viz')
  return (await instance()).renderString(layerDot(), {format: 'svg'})
}
