// The import rules of ../shared/STYLE.md, held against the code, and docs/architecture.svg kept
// true: each layer can be read and replaced alone.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {type ImportEdge, imports, layerOf, layerSvg, REPO} from '../architecture/layers.js'

const edges = imports()
const ours = (edge: ImportEdge) => edge.to.startsWith('src/')
const inLayer = (layer: string) => (edge: ImportEdge) => edge.from.startsWith(`src/${layer}/`)
const show = (list: ImportEdge[]) => list.map((edge) => `${edge.from} -> ${edge.to}`)

test('the protocol imports nothing of ours', () => {
  assert.deepEqual(show(edges.filter(inLayer('protocol')).filter((edge) => ours(edge) && layerOf(edge.to) !== 'protocol')), [])
})

test('the server adapters never import the engine, the services or the terminal', () => {
  const banned = new Set(['engine', 'operations', 'cli', 'commands', 'render'])
  assert.deepEqual(show(edges.filter(inLayer('adapters')).filter((edge) => ours(edge) && banned.has(layerOf(edge.to)))), [])
})

test('the engine never imports oclif, chalk, inquirer or cli-table3, nor the services, the adapters or the terminal', () => {
  const packages = new Set(['@oclif/core', 'chalk', 'inquirer', '@inquirer/core', 'cli-table3'])
  const layers = new Set(['operations', 'adapters', 'cluster', 'cli', 'commands', 'render'])
  assert.deepEqual(show(edges.filter(inLayer('engine')).filter((edge) => packages.has(edge.to) || (ours(edge) && layers.has(layerOf(edge.to))))), [])
})

test('only the commands, the terminal and the rendering know the terminal packages', () => {
  const terminal = new Set(['@oclif/core', 'chalk', 'inquirer', '@inquirer/core', 'cli-table3'])
  const allowed = new Set(['commands', 'cli', 'render', 'hooks'])
  assert.deepEqual(show(edges.filter((edge) => terminal.has(edge.to) && !allowed.has(layerOf(edge.from)))), [])
})

test('the client helper imports @xmpp/client and our protocol, nothing of the CLI (an app must not pull in oclif)', () => {
  const allowed = new Set(['client', 'protocol'])
  assert.deepEqual(show(edges.filter(inLayer('client')).filter((edge) => (ours(edge) && !allowed.has(layerOf(edge.to))) || edge.to.startsWith('@oclif'))), [])
})

test('no file imports itself back through others (no import circle, type imports included)', () => {
  const graph = new Map<string, string[]>()
  for (const edge of edges.filter(ours)) graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to])
  const circles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].join(' -> '))
      return
    }
    state.set(file, 'open')
    for (const next of graph.get(file) ?? []) visit(next, [...path, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  assert.deepEqual(circles, [])
})

test('docs/architecture.svg is the picture of the code as it is (npm run architecture redraws it)', async () => {
  assert.equal(readFileSync(join(REPO, 'docs', 'architecture.svg'), 'utf8'), await layerSvg(), 'run npm run architecture and commit docs/architecture.svg')
})
