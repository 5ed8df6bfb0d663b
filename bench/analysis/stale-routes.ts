// Issue 14 §3b: set the lost messages against the route probe (lab/route-probe.ts). A stale
// route is a run of polls in which the sender's node would route a receiver's messages to a
// process that has exited; Erlang drops what is sent there. If that is where the silent losses
// come from, the lost messages were sent during stale routes, and messages sent during stale
// routes were lost.
import type {RouteProbeResult} from '../lab/route-probe.js'
import {type Spread, spread} from './stats.js'

/** A receiver's stale route: from the first poll that saw its listed pid dead to the last one in a row. */
export interface StaleRoute {
  user: string
  from: number
  to: number
}

export interface StaleRouteFigures {
  node: string
  polls: number
  pollSpacingMs: Spread
  failures: number
  /** Stale routes seen, and how many receivers had one. */
  staleRoutes: number
  receiversWithOne: number
  /** First to last poll of each stale route (0: seen in one poll only). */
  staleForMs: Spread
  /** Messages sent while their receiver's route was stale (the window widened by `slackMs` each side). */
  sentWhileStale: number
  lostWhileStale: number
  /** Lost messages sent while their receiver's route was not stale. */
  lostOtherwise: number
  slackMs: number
}

/** Runs of consecutive polls in which the user's listed pid was dead. */
export function staleRoutes(probe: RouteProbeResult): StaleRoute[] {
  const open = new Map<string, StaleRoute>()
  const done: StaleRoute[] = []
  for (const [t, , dead] of probe.samples) {
    const now = new Set(dead)
    for (const [user, route] of open) {
      if (!now.has(user)) {
        done.push(route)
        open.delete(user)
      }
    }
    for (const user of now) {
      const route = open.get(user)
      if (route) route.to = t
      else open.set(user, {user, from: t, to: t})
    }
  }
  return [...done, ...open.values()].sort((a, b) => a.from - b.from)
}

/**
 * `messages`: every message of the phase as [receiver, sent at, lost]. A message counts as sent
 * while stale if its send time falls within a stale route widened by `slackMs` on each side: a
 * poll every ~100 ms sees a route late by up to one poll, and the sender's node routes a message
 * some time after the sender sent it.
 */
export function staleRouteFigures(probe: RouteProbeResult, messages: [user: string, sentAt: number, lost: boolean][], slackMs = 250): StaleRouteFigures {
  const routes = staleRoutes(probe)
  const byUser = new Map<string, StaleRoute[]>()
  for (const route of routes) byUser.set(route.user, [...(byUser.get(route.user) ?? []), route])
  const stale = (user: string, at: number) => (byUser.get(user) ?? []).some((route) => at >= route.from - slackMs && at <= route.to + slackMs)
  let sentWhileStale = 0
  let lostWhileStale = 0
  let lostOtherwise = 0
  for (const [user, at, lost] of messages) {
    const whileStale = stale(user, at)
    if (whileStale) sentWhileStale++
    if (lost && whileStale) lostWhileStale++
    else if (lost) lostOtherwise++
  }
  const times = probe.samples.map(([t]) => t)
  return {
    node: probe.node,
    polls: probe.samples.length,
    pollSpacingMs: spread(times.slice(1).map((t, i) => t - times[i])),
    failures: probe.failures,
    staleRoutes: routes.length,
    receiversWithOne: byUser.size,
    staleForMs: spread(routes.map((route) => route.to - route.from)),
    sentWhileStale,
    lostWhileStale,
    lostOtherwise,
    slackMs,
  }
}
