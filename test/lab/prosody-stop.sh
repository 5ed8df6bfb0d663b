#!/usr/bin/env bash
# Stops the nodes of the xtransfer Prosody lab (only ours, by the PIDs in their
# pid files, checked against their command lines) and waits for them to exit.
# No lab running: exits 0 quietly. --wipe: also removes the lab dir.
#   test/lab/prosody-stop.sh [--wipe]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lab/prosody-lib.sh
. "$here/prosody-lib.sh"

wipe=0
for arg in "$@"; do
  case $arg in
    --wipe) wipe=1 ;;
    -h | --help)
      sed -n '2,5p' "$0"
      exit 0
      ;;
    *) plab_die "unknown argument: $arg (usage: prosody-stop.sh [--wipe])" ;;
  esac
done

plab_settings
[[ -d $PLAB_DIR ]] || exit 0
[[ -e $PLAB_DIR/.xtransfer-prosody-lab ]] ||
  plab_die "$PLAB_DIR exists but is not an xtransfer Prosody lab (no marker): not touching it"

running=()
for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
  if pid=$(plab_node_pid "$i"); then running+=("$i:$pid"); fi
done

# PIDs recorded in $PLAB_DIR/pids whose pid file was lost: still ours if their
# command line names one of our configs.
strays=()
if [[ -r $PLAB_DIR/pids ]]; then
  while read -r pid; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    for entry in ${running[@]+"${running[@]}"}; do
      [[ ${entry#*:} == "$pid" ]] && continue 2
    done
    for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
      if plab_is_our_prosody "$pid" "$(plab_config "$i")"; then strays+=("$pid"); fi
    done
  done <"$PLAB_DIR/pids"
fi

if ((${#running[@]} + ${#strays[@]})); then
  t0=$(xt_now_ms)
  jobs_pids=()
  for entry in ${running[@]+"${running[@]}"}; do
    plab_stop_node "${entry%%:*}" &
    jobs_pids+=($!)
  done
  for pid in ${strays[@]+"${strays[@]}"}; do
    plab_log "stray lab Prosody PID $pid: kill -TERM"
    kill -TERM "$pid" 2>/dev/null || true
    plab_wait_pid_exit "$pid" 15 &
    jobs_pids+=($!)
  done
  failed=0
  for j in "${jobs_pids[@]}"; do wait "$j" || failed=1; done
  ((failed == 0)) || plab_die "some lab nodes did not stop"
  plab_log "stopped ${#running[@]} node(s) [${running[*]-}]${strays[*]:+ and stray PIDs ${strays[*]}} in $(xt_elapsed "$t0") s"
fi
if ((wipe)); then
  rm -rf -- "$PLAB_DIR"
else
  plab_record_pids
fi
