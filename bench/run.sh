#!/usr/bin/env bash
# npm run bench: the login floor, xtransfer's drains and two baselines (kick-all, stop the node) on the
# bench's own 3-node ejabberd lab (never the test lab), then a table, a JSON file and
# a picture under bench/results/. See docs/performance.md.
#   npm run bench                     # N = 2,000 sessions
#   BENCH_USERS=5000 npm run bench
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${BENCH_USERS:-2000}
[[ $N =~ ^[0-9]+$ ]] && ((N >= 10 && N <= 9999)) || { echo "bench: BENCH_USERS must be 10..9999 (user%04d names), got '$N'" >&2; exit 2; }
export BENCH_USERS=$N

# The bench's own lab: its dir, node names and ports, apart from the test lab's
# (/tmp/xtransfer-lab, xtlab*, 25221-25283), so both can run side by side.
export XTRANSFER_LAB_DIR=${BENCH_LAB_DIR:-/tmp/xtransfer-bench-lab}
export LAB_NODE_PREFIX=xtbench LAB_C2S_BASE=26220 LAB_API_BASE=26280 LAB_TLS_PORT=26230 LAB_PLAIN_BASE=26240 LAB_DNS_PORT=26253
export LAB_USERS=$N

log() { printf '[bench] %s\n' "$*" >&2; }

[ -d node_modules ] || { log "npm ci"; timeout 600 npm ci --no-audit --no-fund; }
log "npm run build"
timeout 300 npm run build --silent

lab_started=""
cleanup() {
  local rc=$?
  if [[ -n $lab_started ]]; then
    log "stopping the bench lab ($XTRANSFER_LAB_DIR)"
    timeout 120 bash test/lab/stop.sh || log "test/lab/stop.sh failed (exit $?)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_ready() {
  # BENCH_REUSE_LAB=1 (development): keep a running bench lab that has enough users.
  [[ ${BENCH_REUSE_LAB:-0} == 1 && -f $XTRANSFER_LAB_DIR/lab.env ]] || return 1
  local users pids pid
  users=$(sed -n 's/^LAB_USERS=//p' "$XTRANSFER_LAB_DIR/lab.env")
  pids=$(sed -n 's/^LAB_PIDS=//p' "$XTRANSFER_LAB_DIR/lab.env")
  [[ ${users:-0} -ge $N && -n $pids ]] || return 1
  for pid in ${pids//,/ }; do kill -0 "$pid" 2>/dev/null || return 1; done
}

if lab_ready; then
  log "reusing the running bench lab in $XTRANSFER_LAB_DIR (BENCH_REUSE_LAB=1)"
else
  log "starting the bench lab: $XTRANSFER_LAB_DIR, $N users (registration takes a while)"
  # With BENCH_REUSE_LAB=1 the lab is left running for the next run.
  if [[ ${BENCH_REUSE_LAB:-0} != 1 ]]; then lab_started=1; fi
  # Registering costs the server two PBKDF2 per user: allow ~25/s at the worst.
  timeout $((180 + N / 25)) bash test/lab/start.sh
fi

# The lab's c2s listeners require STARTTLS with the lab CA's certificate (test/lab/README.md).
export NODE_EXTRA_CA_CERTS="$XTRANSFER_LAB_DIR/ca.crt"

# Every phase bounds itself; this bounds the whole run (setups, three drains, two baselines).
# The bench is TypeScript, run with tsx (its fleet workers too); the CLI under test runs the
# built dist/ without tsx (bench/steps/run-cli.ts).
timeout --kill-after=30 "${BENCH_TIMEOUT:-$((1200 + N / 4))}" node --import tsx bench/main.ts
