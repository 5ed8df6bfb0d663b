// The picture: first the pace of each helper drain over time (the adaptive pacer's allowed
// rate, from the report's `pace`, and the moves each drain started per second, from its
// journal), then sessions on each node over time during the drains and the two baselines
// (kick-all, stop the node), as the directory counted them (every ~250 ms). Vega-Lite → SVG.
import * as vega from 'vega'
import {compile, type TopLevelSpec} from 'vega-lite'

import type {BenchResult, DrainFigures, KickFigures, StopNodeFigures} from '../results.js'
import {drainTitle} from './figures.js'

const NODES = ['node-1', 'node-2', 'node-3']
const ALL = 'all nodes'

interface Panel {
  phase: DrainFigures | KickFigures | StopNodeFigures
  title: string
}

/** The SVG, or null when no phase has a timeline. */
export async function renderTimeline(result: BenchResult): Promise<string | null> {
  const {floor, drain, drainDefault, drain50, drainBbm, drainOrdinary, kick, stopNode} = result.phases
  const N = result.settings.users
  const drainPanel = (run: DrainFigures | undefined): Panel | undefined =>
    run && {phase: run, title: `xtransfer ${drainTitle(run, floor?.loginsPerS)}   (t = 0: first packet)`}
  const candidates: (Panel | undefined)[] = [
    drainPanel(drainDefault),
    drainPanel(drain),
    drainPanel(drain50),
    drainPanel(drainBbm),
    drainPanel(drainOrdinary),
    kick && {phase: kick, title: 'baseline: kick_session × N, unmodified clients reconnect by themselves   (t = 0: first kick)'},
    stopNode && {phase: stopNode, title: 'baseline: ejabberdctl stop on node-1, unmodified clients reconnect by themselves   (t = 0: stop)'},
  ]
  const panels = candidates.filter((panel): panel is Panel => Boolean(panel && panel.phase.timeline?.length))
  if (panels.length === 0) return null
  const tMax = Math.ceil(Math.max(...panels.map(({phase}) => phase.timeline[phase.timeline.length - 1].t)))
  const tMin = Math.floor(Math.min(0, ...panels.map(({phase}) => phase.timeline[0].t)))
  const floorS = floor?.timeS

  const chart = ({phase, title}: Panel) => {
    const values = phase.timeline.flatMap((s) => [
      ...NODES.map((node) => ({t: s.t, node, sessions: s[node] ?? 0})),
      {t: s.t, node: ALL, sessions: NODES.reduce((n, node) => n + (s[node] ?? 0), 0)},
    ])
    const layers: object[] = [
      {
        data: {values},
        mark: {type: 'line', interpolate: 'step-after', strokeWidth: 2},
        encoding: {
          x: {field: 't', type: 'quantitative', title: 'seconds', scale: {domain: [tMin, tMax], nice: false}},
          y: {field: 'sessions', type: 'quantitative', title: 'sessions', scale: {domain: [0, Math.ceil(N * 1.05)]}},
          color: {
            field: 'node',
            type: 'nominal',
            title: null,
            scale: {domain: [...NODES, ALL], range: ['#d62728', '#1f77b4', '#2ca02c', '#7f7f7f']},
            legend: {orient: 'top', direction: 'horizontal', labelFontSize: 12, symbolStrokeWidth: 3},
          },
          strokeDash: {
            field: 'node',
            type: 'nominal',
            scale: {
              domain: [...NODES, ALL],
              range: [
                [1, 0],
                [1, 0],
                [1, 0],
                [4, 3],
              ],
            },
          },
        },
      },
    ]
    const marks: {t: number; label: string}[] = []
    if (floorS && 'cli' in phase) {
      marks.push({t: floorS, label: `floor: ${N} fresh logins take ${floorS} s`}, {t: Math.round(floorS * 1.15 * 10) / 10, label: '1.15 × floor'})
    }
    if ('cli' in phase) {
      // Number(): a missing wall time counts as 0, as it always did here.
      const end = Number(phase.cli.wallS) - (phase.cli.untilFirstPacketS ?? 0)
      marks.push({t: Math.round(end * 10) / 10, label: `xtransfer exits (${phase.cli.wallS} s after start)`})
    }
    if ('kickS' in phase && phase.kickS) marks.push({t: phase.kickS, label: `last kick answered: ${phase.kickS} s`})
    if ('stopS' in phase && phase.stopS) marks.push({t: phase.stopS, label: `node-1 stopped: ${phase.stopS} s`})
    if ('back100S' in phase && phase.back100S) marks.push({t: phase.back100S, label: `all back online: ${phase.back100S} s`})
    if (marks.length) {
      layers.push({data: {values: marks}, mark: {type: 'rule', color: '#555', strokeDash: [2, 2]}, encoding: {x: {field: 't', type: 'quantitative'}}})
      layers.push({
        data: {values: marks.map((m, i) => ({...m, y: N * (0.92 - 0.12 * i)}))},
        mark: {type: 'text', align: 'left', dx: 4, fontSize: 11, color: '#333'},
        encoding: {x: {field: 't', type: 'quantitative'}, y: {field: 'y', type: 'quantitative'}, text: {field: 'label'}},
      })
    }
    return {title: {text: title, anchor: 'start', fontSize: 13}, width: 760, height: 190, layer: layers}
  }

  const m = result.machine
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Sessions per node while node-1 is emptied — ${N} sessions, ${m.cores} cores, 3 ejabberd nodes on one machine`,
      subtitle: `sampled from the directory every ~${result.settings.sampleMs} ms (${result.settings.sampler === 'info' ? 'connected_users_info' : "each node's stats onlineusersnode"}); ${result.date.slice(0, 10)}`,
      anchor: 'start',
      fontSize: 15,
    },
    vconcat: [...pacePanel(result, tMin, tMax), ...panels.map(chart)],
    resolve: {scale: {color: 'independent', strokeDash: 'independent'}},
    config: {font: 'sans-serif', view: {stroke: '#ddd'}, axis: {grid: true, gridColor: '#eee'}},
    background: 'white',
  }
  // The spec is built from plain objects (layers vary per panel); vega-lite validates it when compiling.
  const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), {renderer: 'none'})
  return view.toSVG()
}

/** The pace of the helper drains: what the adaptive pacer allowed, and what each drain started per second. */
function pacePanel(result: BenchResult, tMin: number, tMax: number): object[] {
  const {floor, drain, drainDefault, drain50} = result.phases
  const runs = [drainDefault, drain, drain50].filter((run): run is DrainFigures => Boolean(run?.startsPerS?.length))
  if (runs.length === 0) return []
  const values = runs.flatMap((run) =>
    (run.startsPerS ?? []).map(([t, n]) => ({t: t + 0.5, perS: n, series: `${drainTitle(run, floor?.loginsPerS)}: moves started`})),
  )
  const auto = drainDefault?.pace?.length ? drainDefault : undefined
  if (auto) {
    // The report's pace is timed from the run's start; the panel's t = 0 is the first packet. Runs
    // before 2026-12-02 kept neither time: the CLI process's start stands in for the run's (early by Node's start-up).
    const shift = auto.runStartedAt && auto.firstPacketAt ? (auto.firstPacketAt - auto.runStartedAt) / 1000 : (auto.cli.untilFirstPacketS ?? 0)
    const end = Number(auto.cli.wallS) - (auto.cli.untilFirstPacketS ?? 0)
    const points = auto.pace ?? []
    for (const [i, point] of points.entries()) {
      values.push({t: point.atMs / 1000 - shift, perS: point.rate, series: 'adaptive pacer: rate allowed'})
      if (i === points.length - 1) values.push({t: end, perS: point.rate, series: 'adaptive pacer: rate allowed'})
    }
  }
  const series = [...new Set(values.map((v) => v.series))]
  const palette = ['#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf']
  const layers: object[] = [
    {
      data: {values},
      mark: {type: 'line', interpolate: 'step-after', strokeWidth: 1.5},
      encoding: {
        x: {field: 't', type: 'quantitative', title: 'seconds from the first packet', scale: {domain: [tMin, tMax], nice: false}},
        y: {field: 'perS', type: 'quantitative', title: 'moves per second'},
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: {domain: series, range: palette.slice(0, series.length)},
          legend: {orient: 'top', direction: 'vertical'},
        },
      },
    },
  ]
  if (floor?.loginsPerS) {
    layers.push({
      data: {values: [{perS: floor.loginsPerS, label: `floor: ${floor.loginsPerS} fresh logins/s`}]},
      layer: [
        {mark: {type: 'rule', color: '#555', strokeDash: [2, 2]}, encoding: {y: {field: 'perS', type: 'quantitative'}}},
        {
          mark: {type: 'text', align: 'left', dy: -6, fontSize: 11, color: '#333'},
          encoding: {x: {datum: tMin}, y: {field: 'perS', type: 'quantitative'}, text: {field: 'label'}},
        },
      ],
    })
  }
  return [
    {
      title: {text: 'The pace: moves started per second (journal), and the rate the adaptive pacer allowed (report)', anchor: 'start', fontSize: 13},
      width: 760,
      height: 190,
      layer: layers,
      resolve: {scale: {color: 'independent'}},
    },
  ]
}
