# shellcheck shell=bash
# Helpers shared by the ejabberd lab (lib.sh) and the Prosody lab (prosody-lib.sh).

# Milliseconds since the epoch.
xt_now_ms() { date +%s%3N; }

# Seconds with one decimal between a start (ms) and now.
xt_elapsed() {
  local start=$1 now
  now=$(xt_now_ms)
  printf '%d.%01d' $(((now - start) / 1000)) $((((now - start) % 1000) / 100))
}

# True if something listens on 127.0.0.1:PORT (or on any address with that port).
xt_port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]] && return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Prints the ports among the arguments that are taken (and, on stderr, who holds
# them); fails when there is none.
xt_busy_ports() {
  local port busy=()
  for port in "$@"; do
    if xt_port_in_use "$port"; then busy+=("$port"); fi
  done
  ((${#busy[@]})) || return 1
  if command -v ss >/dev/null 2>&1; then
    for port in "${busy[@]}"; do ss -Hltnp "sport = :$port" >&2 || true; done
  fi
  echo "${busy[*]}"
}
