#!/usr/bin/env bash
# The main job on a local demo cluster: start the 3-node ejabberd lab, log in a
# rehearsal fleet on node-1, drain node-1, print the report, stop everything.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent

bash test/lab/start.sh
# shellcheck disable=SC1091
source "${XTRANSFER_LAB_DIR:-/tmp/xtransfer-lab}/lab.env"
# The lab's c2s listeners require STARTTLS with a certificate of the lab's private CA.
export NODE_EXTRA_CA_CERTS="$LAB_CA_CERT"

fleet_pid=""
cleanup() {
  if [ -n "$fleet_pid" ] && kill -0 "$fleet_pid" 2>/dev/null; then
    kill -INT "$fleet_pid"
    wait "$fleet_pid" || true
  fi
  bash test/lab/stop.sh
}
trap cleanup EXIT

users=${DEMO_USERS:-40}
echo "== a rehearsal fleet of $users users logs in on node-1"
XTRANSFER_FLEET_PASSWORD="$LAB_USER_PASSWORD" ./bin/run.js simulate --config "$LAB_CONFIG" \
  --users "$users" --node node-1 >"$LAB_DIR/fleet.log" 2>&1 &
fleet_pid=$!
for _ in $(seq 1 120); do
  grep -q "online on node-1" "$LAB_DIR/fleet.log" && break
  kill -0 "$fleet_pid" 2>/dev/null || { cat "$LAB_DIR/fleet.log"; exit 1; }
  sleep 0.5
done
cat "$LAB_DIR/fleet.log"

echo; echo "== before"
./bin/run.js nodes --config "$LAB_CONFIG"
echo; echo "== xtransfer drain node-1"
status=0
./bin/run.js drain node-1 --yes --config "$LAB_CONFIG" --wait 30s || status=$?
echo; echo "== after"
./bin/run.js nodes --config "$LAB_CONFIG"
exit "$status"
