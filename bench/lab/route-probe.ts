// BENCH_ROUTE_PROBE=1 (diagnosis, issue 14 §3b): which process the sender's node would route
// each receiver's messages to, and whether that process is still alive. ejabberd 23.01 routes
// a message to a full JID with the routing node's own copy of the `session` table
// (ejabberd_sm:do_route: lists:max of the resource's sessions, then `Pid ! {route, …}`); that
// table is a mnesia ram_copies table written with dirty_write / dirty_delete, which mnesia
// replicates to the other nodes asynchronously (async_dirty). A message sent to a process that
// has exited is dropped by Erlang without a trace: no bounce, no offline storage.
//
// The probe is an Erlang node of our own (`xtbenchprobe…`, the lab's cookie, loopback only):
// every `everyMs` it asks the sender's node for ejabberd_sm:get_session_pid/3 of every receiver
// (the pid its routing picks, read in one call on that node, timed by that node's clock), then
// asks each pid's node whether it is alive. It prints one line per poll:
//   poll <epoch ms> <pids listed> <receivers whose listed pid is dead, comma-separated>
// The cost: one rpc to the sender's node and one per node holding receivers per poll, each a
// few hundred microseconds of work (ets lookups and is_process_alive). If the bench dies, the
// probe ends at its next write (its stdout is gone), with no crash dump.
import {erlBinary, startErlangNode} from '../../test/support/erlang-node.js'
import type {LabInfo} from './lab-info.js'

/** One poll: when (the probed node's clock, epoch ms), how many receivers had a pid listed, which of them pointed at a dead one. */
export type RouteSample = [t: number, listed: number, dead: string[]]

export interface RouteProbeResult {
  node: string
  everyMs: number
  samples: RouteSample[]
  /** Polls whose rpc failed or timed out (5 s). */
  failures: number
}

export interface RouteProbe {
  stop(): Promise<RouteProbeResult>
}

/** The Erlang expressions the probe node evaluates (no shell, output on stdout; no final period: startErlangNode adds the halt). */
export function probeProgram({
  node,
  domain,
  resource,
  users,
  everyMs,
}: {
  node: string
  domain: string
  resource: string
  users: string[]
  everyMs: number
}): string {
  if (!/^[A-Za-z0-9_]+@[A-Za-z0-9.-]+$/.test(node)) throw new Error(`not an Erlang node name: ${node}`)
  return `
Node = '${node}', Host = ${erlBinary(domain)}, Res = ${erlBinary(resource)}, Every = ${Math.max(20, Math.round(everyMs))},
Users = [${users.map(erlBinary).join(',')}],
Alive = fun(Listed) ->
  ByNode = lists:foldl(fun({U, P}, Acc) -> maps:update_with(node(P), fun(L) -> [{U, P} | L] end, [{U, P}], Acc) end, #{}, Listed),
  lists:append([case rpc:call(N, erlang, apply, [fun(L) -> [{U, P, erlang:is_process_alive(P)} || {U, P} <- L] end, [L]], 5000) of
                  R when is_list(R) -> R;
                  _ -> [{U, P, unknown} || {U, P} <- L]
                end || {N, L} <- maps:to_list(ByNode)])
end,
Loop = fun Loop() ->
  case rpc:call(Node, erlang, apply, [fun() -> {erlang:system_time(millisecond), [{U, ejabberd_sm:get_session_pid(U, Host, Res)} || U <- Users]} end, []], 5000) of
    {T, Pairs} when is_list(Pairs) ->
      Listed = [{U, P} || {U, P} <- Pairs, is_pid(P)],
      Dead = [U || {U, _, false} <- Alive(Listed)],
      io:format("poll ~b ~b ~s~n", [T, length(Listed), lists:join(",", Dead)]);
    Other -> io:format("fail ~0p~n", [Other])
  end,
  timer:sleep(Every),
  Loop()
end,
Loop()`
}

/** Parses the probe's stdout. */
export function parseProbeOutput(text: string): {samples: RouteSample[]; failures: number} {
  const samples: RouteSample[] = []
  let failures = 0
  for (const line of text.split('\n')) {
    const poll = line.match(/^poll (\d+) (\d+) ?(.*)$/)
    if (poll) samples.push([Number(poll[1]), Number(poll[2]), poll[3].trim() ? poll[3].trim().split(',') : []])
    else if (line.startsWith('fail ')) failures++
  }
  return {samples, failures}
}

export function startRouteProbe(lab: LabInfo, {node = 1, everyMs = 100, users}: {node?: number; everyMs?: number; users: string[]}): RouteProbe {
  const program = probeProgram({node: lab.nodes[node].server, domain: lab.domain, resource: 'rehearsal', users, everyMs})
  const probe = startErlangNode(lab.env.LAB_COOKIE_FILE, program, 'xtbenchprobe')
  return {
    async stop() {
      return {node: lab.nodes[node].name, everyMs, ...parseProbeOutput((await probe.stop()).join('\n'))}
    },
  }
}
