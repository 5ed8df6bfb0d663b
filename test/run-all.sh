#!/usr/bin/env bash
# Every test: unit tests, then integration tests against a 3-node ejabberd lab
# and a pair of Prosody instances, which this script installs (apt-get, when
# missing), starts, and stops again.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
# The interactive tests drive the CLI in a real pseudo-terminal.
command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux; }
npm run typecheck
npm run lint
npm run build

# The trap first: a failing start still stops what did start.
trap 'bash test/lab/stop.sh; bash test/lab/prosody-stop.sh' EXIT
bash test/lab/start.sh
bash test/lab/prosody-start.sh

# Integration tests share one lab, so files run one at a time. The client helper's file
# runs in its own process: its STARTTLS tests need the lab's certificate trusted
# (NODE_EXTRA_CA_CERTS, which Node reads at startup), and errors.test.ts needs it untrusted.
status=0
node --import tsx --test --test-concurrency=1 test/unit/*.test.ts $(ls test/integration/*.test.ts | grep -v '/client-helper\.test\.ts$') || status=$?
lab_cert=$(sed -n 's/^LAB_TLS_CERT=//p' "${XTRANSFER_LAB_DIR:-/tmp/xtransfer-lab}/lab.env")
NODE_EXTRA_CA_CERTS="$lab_cert" node --import tsx --test test/integration/client-helper.test.ts || status=$?
exit "$status"
