#!/usr/bin/env bash
# Every test: unit tests, then integration tests against a 3-node ejabberd lab
# and a pair of Prosody instances, which this script installs (apt-get, when
# missing), starts, and stops again.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
# The interactive tests drive the CLI in a real pseudo-terminal.
command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux; }
# Types and lint first: they fail in seconds, before any server starts.
npm run typecheck
npm run lint
npm run build
# Third-party XMPP clients (Debian packages, a C client built against libstrophe) for
# test/integration/third-party-clients.test.ts.
bash test/clients/install.sh

# The trap first: a failing start still stops what did start.
trap 'bash test/lab/stop.sh; bash test/lab/prosody-stop.sh' EXIT
bash test/lab/start.sh
bash test/lab/prosody-start.sh
# The lab's c2s listeners require STARTTLS with a certificate of the lab's private CA: every
# client in the tests (and the CLI they run) trusts it this way, as an operator's would.
NODE_EXTRA_CA_CERTS="${XTRANSFER_LAB_DIR:-/tmp/xtransfer-lab}/ca.crt"
export NODE_EXTRA_CA_CERTS

# Integration tests share one lab, so files run one at a time.
node --import tsx --test --test-concurrency=1 --test-timeout=300000 test/unit/*.test.ts test/integration/*.test.ts
