#!/usr/bin/env bash
# Stops the nodes of the xtransfer ejabberd lab and its DNS server (only ours, by
# PID), waits for them to exit. No lab running: exits 0 quietly. --wipe: also removes the
# lab dir. epmd is left alone.
#   test/lab/stop.sh [--wipe]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lab/lib.sh
. "$here/lib.sh"

wipe=0
for arg in "$@"; do
  case $arg in
    --wipe) wipe=1 ;;
    -h | --help)
      sed -n '2,6p' "$0"
      exit 0
      ;;
    *) lab_die "unknown argument: $arg (usage: stop.sh [--wipe])" ;;
  esac
done

lab_settings
[[ -d $LAB_DIR ]] || exit 0
[[ -e $LAB_DIR/.xtransfer-lab ]] ||
  lab_die "$LAB_DIR exists but is not an xtransfer lab (no .xtransfer-lab marker): not touching it"

# Nodes of ours that run, by their recorded PIDs (node<i>/beam.pid, or
# ejabberd's node<i>/ejabberd.pid).
running=()
for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
  if pid=$(lab_node_pid "$i"); then running+=("$i:$pid"); fi
done

# PIDs listed in $LAB_DIR/pids that are beams of this lab but not found
# above (e.g. a node dir's pid files were lost): signal those directly.
strays=()
if [[ -r $LAB_DIR/pids ]]; then
  while read -r pid; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    known=0
    for entry in ${running[@]+"${running[@]}"}; do
      [[ ${entry#*:} == "$pid" ]] && known=1
    done
    ((known)) && continue
    [[ -r /proc/$pid/cmdline ]] || continue
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    if [[ $cmd == *beam* && $cmd == *"$LAB_DIR/node"*"/spool"* ]]; then strays+=("$pid"); fi
  done <"$LAB_DIR/pids"
fi

if ((${#running[@]} + ${#strays[@]})); then
  t0=$(xt_now_ms)
  jobs_pids=()
  for entry in ${running[@]+"${running[@]}"}; do
    lab_stop_node "${entry%%:*}" &
    jobs_pids+=($!)
  done
  for pid in ${strays[@]+"${strays[@]}"}; do
    lab_log "stray lab VM PID $pid: kill -TERM"
    kill -TERM "$pid" 2>/dev/null || true
    lab_wait_pid_exit "$pid" 15 &
    jobs_pids+=($!)
  done
  failed=0
  for j in "${jobs_pids[@]}"; do wait "$j" || failed=1; done
  ((failed == 0)) || lab_die "some lab nodes did not stop"
  lab_log "stopped ${#running[@]} node(s) [${running[*]-}]${strays[*]:+ and stray PIDs ${strays[*]}} in $(xt_elapsed "$t0") s"
fi
lab_dns_stop
lab_untrusted_stop
if ((wipe)); then
  rm -rf -- "$LAB_DIR"
else
  lab_record_pids
fi
