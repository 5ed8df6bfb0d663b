#!/usr/bin/env bash
# Stops, starts or restarts one node of the running lab (same start method as
# start.sh: as user ejabberd without su, raised open-files limit; waits for the
# node's ports). Updates $LAB_DIR/pids and LAB_PIDS / LAB_PID_<n> in lab.env.
#   test/lab/node.sh stop|start|restart N      (N = 1..3, or "all")
# Mnesia: a node that was not the last of the cluster to stop waits at start
# for the others' tables (its ports stay closed). With the whole lab stopped,
# start all nodes together: node.sh start all.
# shellcheck disable=SC2317 # do_stop / do_start run through each_node
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lab/lib.sh
. "$here/lib.sh"

usage() { lab_die "usage: node.sh stop|start|restart N   (N = 1..$LAB_NODE_COUNT, or all)"; }
(($# == 2)) || usage
action=$1
target=$2
if [[ $target == all ]]; then
  nodes=()
  for ((k = 1; k <= LAB_NODE_COUNT; k++)); do nodes+=("$k"); done
elif [[ $target =~ ^[0-9]+$ ]] && ((target >= 1 && target <= LAB_NODE_COUNT)); then
  nodes=("$target")
else
  usage
fi

lab_settings
[[ -e $LAB_DIR/.xtransfer-lab && -f $LAB_DIR/lab.env ]] ||
  lab_die "no lab in $LAB_DIR (run test/lab/start.sh first)"

do_stop() {
  local n=$1 name pid t
  name=$(lab_recorded_node_name "$n") || lab_die "node $n is not set up in $LAB_DIR"
  if pid=$(lab_node_pid "$n"); then
    t=$(xt_now_ms)
    lab_stop_node "$n"
    lab_log "node $n ($name) stopped (PID $pid) in $(xt_elapsed "$t") s"
  else
    lab_log "node $n ($name) is not running"
  fi
}

do_start() {
  local n=$1 name pid t
  name=$(lab_recorded_node_name "$n") || lab_die "node $n is not set up in $LAB_DIR"
  if pid=$(lab_node_pid "$n"); then
    lab_log "node $n ($name) already runs (PID $pid)"
    return 0
  fi
  t=$(xt_now_ms)
  # Its ports must be free (a VM that just exited may still hold nothing; a
  # foreign process may).
  # shellcheck disable=SC2046 # word-splitting the port list is intended
  lab_check_ports_free $(lab_recorded_ports "$n")
  pid=$(lab_start_node "$n") || {
    lab_log "node $n did not come up: stopping it"
    lab_stop_node "$n" || true
    return 1
  }
  lab_log "node $n ($name) started (PID $pid, $(lab_nofile_limit "$pid"), ports $(lab_recorded_ports "$n")) in $(xt_elapsed "$t") s"
}

# Runs FUNCTION for every selected node, in parallel.
each_node() {
  local fn=$1 k jobs=() failed=0
  for k in "${nodes[@]}"; do
    "$fn" "$k" &
    jobs+=($!)
  done
  for k in "${jobs[@]}"; do wait "$k" || failed=1; done
  return "$failed"
}

warn_if_alone() {
  local k others=0
  for ((k = 1; k <= LAB_NODE_COUNT; k++)); do
    [[ " ${nodes[*]} " == *" $k "* ]] && continue
    if lab_node_pid "$k" >/dev/null; then others=$((others + 1)); fi
  done
  if ((others == 0 && ${#nodes[@]} < LAB_NODE_COUNT)); then
    lab_log "warning: no other lab node runs; unless node(s) ${nodes[*]} stopped last, Mnesia waits for the others' tables (use: node.sh start all)"
  fi
}

rc=0
case $action in
  stop) each_node do_stop || rc=1 ;;
  start)
    warn_if_alone
    each_node do_start || rc=1
    ;;
  restart)
    each_node do_stop || rc=1
    if ((rc == 0)); then
      warn_if_alone
      each_node do_start || rc=1
    fi
    ;;
  *) usage ;;
esac
lab_record_pids
exit "$rc"
