# shellcheck shell=bash
# Shared functions of the xtransfer ejabberd lab (sourced by start.sh, stop.sh,
# node.sh). Nothing here starts or stops anything by itself.
#
# Layout of a lab ($LAB_DIR, default /tmp/xtransfer-lab):
#   .xtransfer-lab          marker: only a dir holding it is ever wiped
#   cookie                  private Erlang cookie (0600)
#   admin.password          admin's password (0600)
#   admin.curlrc            curl config with the admin's HTTP Basic credentials (0600)
#   ca.crt ca.key           the lab's private CA (key 0600); clients trust ca.crt
#   tls/example.test.pem    server key+cert signed by it (every node's STARTTLS listener)
#   tls/self-signed.*       the untrusted STARTTLS endpoint's certificate (LAB_TLS_PORT)
#   dns/ untrusted-tls/     helper processes (pid, log; dns/srv.txt: the SRV records)
#   node<i>/                per node, owned by ejabberd:
#     ejabberd.yml ejabberdctl.cfg inetrc nodename ports
#     spool/ logs/ home/
#     beam.pid              written by us (the VM's PID, kept until it has exited)
#     ejabberd.pid          written by ejabberd itself (gone before the VM exits)
#   lab.env xtransfer.yaml pids

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LAB_NODE_COUNT=3
LAB_RUN_USER=ejabberd
# ejabberdctl lives in /usr/sbin, which a CI environment's PATH may lack.
case ":$PATH:" in
  *:/usr/sbin:*) ;;
  *) PATH="$PATH:/usr/sbin:/sbin" ;;
esac

lab_log() { printf '[lab] %s\n' "$*" >&2; }
lab_die() {
  printf '[lab] ERROR: %s\n' "$*" >&2
  exit 1
}



# Reads the settings from the environment, with defaults. The lab dir is not
# taken from a previous lab.env: XTRANSFER_LAB_DIR selects the lab.
# shellcheck disable=SC2034 # the variables are used by the sourcing scripts
lab_settings() {
  LAB_DIR=${XTRANSFER_LAB_DIR:-/tmp/xtransfer-lab}
  LAB_DIR=${LAB_DIR%/}
  case $LAB_DIR in
    /*) ;;
    *) lab_die "XTRANSFER_LAB_DIR must be an absolute path (got '$LAB_DIR')" ;;
  esac
  # ejabberdctl expands the spool path unquoted: keep paths simple.
  [[ $LAB_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    lab_die "XTRANSFER_LAB_DIR may only contain letters, digits and ._/- (got '$LAB_DIR')"
  case $LAB_DIR in
    / | /tmp | /var | /root | /home | /etc | /usr) lab_die "refusing lab dir $LAB_DIR" ;;
  esac
  LAB_NODE_PREFIX=${LAB_NODE_PREFIX:-xtlab}
  [[ $LAB_NODE_PREFIX =~ ^[a-z][a-z0-9_]*$ ]] ||
    lab_die "LAB_NODE_PREFIX must match [a-z][a-z0-9_]* (got '$LAB_NODE_PREFIX')"
  LAB_DOMAIN=${LAB_DOMAIN:-example.test}
  [[ $LAB_DOMAIN =~ ^[a-z0-9.-]+$ ]] || lab_die "LAB_DOMAIN must match [a-z0-9.-]+ (got '$LAB_DOMAIN')"
  LAB_C2S_BASE=${LAB_C2S_BASE:-25220}
  LAB_API_BASE=${LAB_API_BASE:-25280}
  LAB_TLS_PORT=${LAB_TLS_PORT:-25230}
  LAB_PLAIN_BASE=${LAB_PLAIN_BASE:-25240}
  LAB_DNS_PORT=${LAB_DNS_PORT:-25253}
  LAB_USERS=${LAB_USERS:-600}
  LAB_USER_PASSWORD=${LAB_USER_PASSWORD:-lab-user-pw}
  LAB_REGISTER_PARALLEL=${LAB_REGISTER_PARALLEL:-16}
  LAB_LOGLEVEL=${LAB_LOGLEVEL:-info}
  LAB_PASSWORD_FORMAT=${LAB_PASSWORD_FORMAT:-scram}
  local n
  for n in LAB_C2S_BASE LAB_API_BASE LAB_TLS_PORT LAB_PLAIN_BASE LAB_DNS_PORT LAB_USERS LAB_REGISTER_PARALLEL; do
    [[ ${!n} =~ ^[0-9]+$ ]] || lab_die "$n must be a number (got '${!n}')"
  done
  ((LAB_C2S_BASE + LAB_NODE_COUNT < 65536 && LAB_API_BASE + LAB_NODE_COUNT < 65536 && LAB_TLS_PORT < 65536 &&
    LAB_PLAIN_BASE + LAB_NODE_COUNT < 65536 && LAB_DNS_PORT < 65536)) ||
    lab_die "ports out of range"
  # Written unquoted into lab.env and into JSON bodies: keep it plain.
  [[ $LAB_USER_PASSWORD =~ ^[A-Za-z0-9._+-]+$ ]] ||
    lab_die "LAB_USER_PASSWORD may only contain letters, digits and ._+-"
  case $LAB_PASSWORD_FORMAT in
    scram | plain) ;;
    *) lab_die "LAB_PASSWORD_FORMAT must be scram or plain" ;;
  esac
  # mod_stream_mgmt's resend_on_timeout: what ejabberd does with the unacknowledged
  # messages of a session that ends (false, its default: bounce them to the sender).
  LAB_SM_RESEND=${LAB_SM_RESEND:-false}
  case $LAB_SM_RESEND in
    false | true | if_offline) ;;
    *) lab_die "LAB_SM_RESEND must be false, true or if_offline (got '$LAB_SM_RESEND')" ;;
  esac
  # LAB_SM=off leaves mod_stream_mgmt out (no XEP-0198 at all).
  LAB_SM=${LAB_SM:-on}
  case $LAB_SM in
    on | off) ;;
    *) lab_die "LAB_SM must be on or off (got '$LAB_SM')" ;;
  esac
  # LAB_COMPANION=off starts the lab without mod_xtransfer (xtransfer must then
  # fall back to what ejabberd alone offers).
  LAB_COMPANION=${LAB_COMPANION:-on}
  case $LAB_COMPANION in
    on | off) ;;
    *) lab_die "LAB_COMPANION must be on or off (got '$LAB_COMPANION')" ;;
  esac
  # LAB_FORWARD_LATE (ms): mod_xtransfer's forward_late; unset = the module's default (5000).
  # 0 gives ejabberd's own ending of a moved session (the bench compares the two).
  LAB_FORWARD_LATE=${LAB_FORWARD_LATE:-}
  [[ -z $LAB_FORWARD_LATE || $LAB_FORWARD_LATE =~ ^[0-9]+$ ]] || lab_die "LAB_FORWARD_LATE must be a number of ms (got '$LAB_FORWARD_LATE')"
  # The commands a transfer run may call with an OAuth bearer token: the scopes it asks
  # for are among these (src/adapters/ejabberd/api-scopes.ts, RUN_COMMANDS; a unit test
  # keeps the two lists equal). Each gets its own api_permissions rule.
  LAB_OAUTH_COMMANDS="list_cluster connected_users_info user_sessions_info kick_session send_stanza xtransfer_node_sessions xtransfer_locate xtransfer_handover xtransfer_redirect xtransfer_close xtransfer_cordon"
  LAB_ADMIN_JID="admin@$LAB_DOMAIN"
  LAB_ADMIN_PASSWORD_FILE="$LAB_DIR/admin.password"
  LAB_CURLRC="$LAB_DIR/admin.curlrc"
}

lab_node_dir() { printf '%s/node%s' "$LAB_DIR" "$1"; }
lab_node_name() { printf '%s%s@localhost' "$LAB_NODE_PREFIX" "$1"; }
lab_c2s_port() { echo $((LAB_C2S_BASE + $1)); }
lab_plain_port() { echo $((LAB_PLAIN_BASE + $1)); }
lab_api_port() { echo $((LAB_API_BASE + $1)); }
lab_api_url() { printf 'http://127.0.0.1:%s/api' "$(lab_api_port "$1")"; }

# Node name as recorded in the node dir (the lab may have been started with
# other settings than the current environment's).
lab_recorded_node_name() {
  local f
  f="$(lab_node_dir "$1")/nodename"
  [[ -r $f ]] || return 1
  cat "$f"
}

lab_recorded_ports() {
  local f
  f="$(lab_node_dir "$1")/ports"
  [[ -r $f ]] || return 1
  cat "$f"
}


lab_check_ports_free() {
  local busy
  busy=$(xt_busy_ports "$@") || return 0
  lab_die "port(s) already in use: $busy (another lab or service?). Pick other ports with LAB_C2S_BASE / LAB_API_BASE / LAB_TLS_PORT / LAB_PLAIN_BASE / LAB_DNS_PORT, or stop it."
}

# --- the lab's helper processes (Node, run with tsx) -------------------------------
# dns: dns-server.ts, the SRV records clients find the nodes with (LAB_DNS_PORT);
# untrusted-tls: untrusted-tls.ts, STARTTLS with a self-signed certificate (LAB_TLS_PORT).
# Each lives in $LAB_DIR/<name>/ (pid, ready, <name>.log) and is only ever signalled by the
# PID recorded there, after its command line is checked (a recycled PID is never signalled).
lab_dns_records() { printf '%s/dns/srv.txt' "$LAB_DIR"; }

lab_helper_pid() {
  local name=$1 f="$LAB_DIR/$1/pid" pid cmd
  [[ -r $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"test/lab/$name"* && $cmd == *" --ready $LAB_DIR/$name/ready "* ]] || return 1
  echo "$pid"
}
lab_dns_pid() { lab_helper_pid dns; }

# lab_helper_start NAME SCRIPT ARGS...: starts it detached, waits (15 s) for its ready file
# (which holds its PID), records the PID.
lab_helper_start() {
  local name=$1 script=$2 dir="$LAB_DIR/$1" repo pid deadline
  shift 2
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  if pid=$(lab_helper_pid "$name"); then
    lab_log "$name already runs (PID $pid)"
    return 0
  fi
  [[ -d $repo/node_modules/tsx ]] || lab_die "no $repo/node_modules/tsx: run npm ci first (the lab's $name runs with tsx)"
  mkdir -p "$dir"
  rm -f "$dir/ready"
  (
    cd "$repo"
    exec setsid node --import tsx "test/lab/$script" "$@" --ready "$dir/ready" </dev/null >>"$dir/$name.log" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$dir/pid"
  deadline=$(($(xt_now_ms) + 15000))
  until [[ -s $dir/ready ]]; do
    kill -0 "$pid" 2>/dev/null || { tail -n 5 "$dir/$name.log" >&2; lab_die "the lab's $name exited (see $dir/$name.log)"; }
    (($(xt_now_ms) < deadline)) || lab_die "the lab's $name was not ready after 15 s (see $dir/$name.log)"
    sleep 0.05
  done
  [[ $(<"$dir/ready") == "$pid" ]] || lab_die "the lab's $name: ready file names PID $(<"$dir/ready"), not $pid"
}

lab_helper_stop() {
  local name=$1 pid
  pid=$(lab_helper_pid "$name") || return 0
  kill -TERM "$pid" 2>/dev/null || true
  lab_wait_pid_exit "$pid" 5 || lab_die "the lab's $name (PID $pid) would not exit"
  rm -f "$LAB_DIR/$name/pid" "$LAB_DIR/$name/ready"
  lab_log "$name stopped (PID $pid)"
}

# The DNS server: writes the records file (every node in) unless it exists.
lab_dns_start() {
  local dir="$LAB_DIR/dns" i
  mkdir -p "$dir"
  if [[ ! -f $dir/srv.txt ]]; then
    for ((i = 1; i <= LAB_NODE_COUNT; i++)); do echo "$i $(lab_c2s_port "$i") in"; done >"$dir/srv.txt"
    echo "$LAB_DNS_PORT" >"$dir/port"
  fi
  lab_helper_start dns dns-server.ts --port "$(<"$dir/port")" --domain "$LAB_DOMAIN" --records "$dir/srv.txt"
  lab_record_pids
  lab_log "DNS server on 127.0.0.1:$(<"$dir/port") (PID $(lab_helper_pid dns)): _xmpp-client._tcp.$LAB_DOMAIN SRV -> $(awk '$3 == "in" { printf "%s ", $2 }' "$dir/srv.txt")"
}
lab_dns_stop() { lab_helper_stop dns; }

lab_untrusted_start() {
  local dir="$LAB_DIR/untrusted-tls"
  mkdir -p "$dir"
  [[ -f $dir/port ]] || echo "$LAB_TLS_PORT" >"$dir/port"
  lab_helper_start untrusted-tls untrusted-tls.ts --port "$(<"$dir/port")" --domain "$LAB_DOMAIN" \
    --pem "$LAB_DIR/tls/self-signed.pem"
  lab_record_pids
}
lab_untrusted_stop() { lab_helper_stop untrusted-tls; }

# Fails if an Erlang node with one of our short names is registered in epmd
# (another lab with the same LAB_NODE_PREFIX).
lab_check_node_names_free() {
  local names i short taken=()
  names=$(epmd -names 2>/dev/null) || return 0
  for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
    short=$(lab_node_name "$i")
    short=${short%@*}
    if grep -q "^name $short at port" <<<"$names"; then taken+=("$short"); fi
  done
  ((${#taken[@]} == 0)) ||
    lab_die "Erlang node name(s) ${taken[*]} already registered in epmd (another lab?). Use another LAB_NODE_PREFIX or stop it."
}

# Runs a command as the ejabberd user, without su (whose pam_limits would set
# the soft open-files limit to 1024), with the soft open-files limit raised to
# the hard one and a clean environment.
lab_as_ejabberd() {
  local home=$1
  shift
  # shellcheck disable=SC2016 # expanded by the inner bash
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$home" LANG=C.UTF-8 \
    setpriv --reuid "$LAB_RUN_USER" --regid "$LAB_RUN_USER" --init-groups -- \
    bash -c 'hard=$(ulimit -Hn)
             if [ "$hard" = unlimited ]; then hard=$(cat /proc/sys/fs/nr_open); fi
             ulimit -Sn "$hard" || exit 1
             exec "$@"' lab-as-ejabberd "$@"
}

# ejabberdctl for node I of the lab: lab_ctl I ARGS...
# (LAB_CTL_TIMEOUT=S lab_ctl ... bounds it with timeout(1).)
lab_ctl() {
  local i=$1 dir name
  shift
  dir=$(lab_node_dir "$i")
  name=$(lab_recorded_node_name "$i") || lab_die "node $i: no $dir/nodename (is the lab set up?)"
  local pre=()
  if [[ -n ${LAB_CTL_TIMEOUT:-} ]]; then pre=(timeout "$LAB_CTL_TIMEOUT"); fi
  lab_as_ejabberd "$dir/home" "${pre[@]}" ejabberdctl \
    --config-dir "$dir" \
    --config "$dir/ejabberd.yml" \
    --ctl-config "$dir/ejabberdctl.cfg" \
    --spool "$dir/spool" \
    --logs "$dir/logs" \
    --node "$name" \
    "$@"
}

# True if PID is alive and is the beam VM of node NAME in DIR (guards against
# a recycled PID).
lab_is_our_beam() {
  local pid=$1 name=$2 dir=$3 cmd
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *beam* && $cmd == *" -sname $name "* && $cmd == *"$dir/spool"* ]]
}

# PID of node I's VM if it is running, else fails.
lab_node_pid() {
  local i=$1 dir name pid f
  dir=$(lab_node_dir "$i")
  name=$(lab_recorded_node_name "$i") || return 1
  for f in "$dir/beam.pid" "$dir/ejabberd.pid"; do
    [[ -r $f ]] || continue
    pid=$(<"$f")
    if lab_is_our_beam "$pid" "$name" "$dir"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

lab_tail_logs() {
  local dir
  dir=$(lab_node_dir "$1")
  local f
  for f in "$dir/logs/error.log" "$dir/logs/ejabberd.log"; do
    if [[ -s $f ]]; then
      printf -- '--- last lines of %s ---\n' "$f" >&2
      tail -n 25 "$f" >&2
    fi
  done
}

# Waits until 127.0.0.1:PORT accepts connections. PID (optional): fail early
# if that process dies meanwhile.
lab_wait_for_port() {
  local port=$1 timeout_s=${2:-30} pid=${3:-} deadline
  deadline=$(($(xt_now_ms) + timeout_s * 1000))
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      lab_log "process $pid died while waiting for port $port"
      return 1
    fi
    if (($(xt_now_ms) > deadline)); then
      lab_log "timeout (${timeout_s}s) waiting for port $port"
      return 1
    fi
    sleep 0.05
  done
}

# Waits for the PID to exit; then TERM, then KILL. Only ever signals that PID.
lab_wait_pid_exit() {
  local pid=$1 timeout_s=${2:-15} deadline
  deadline=$(($(xt_now_ms) + timeout_s * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(xt_now_ms) > deadline)); then
      lab_log "PID $pid still alive after ${timeout_s}s: kill -TERM $pid"
      kill -TERM "$pid" 2>/dev/null || true
      deadline=$(($(xt_now_ms) + 5000))
      while kill -0 "$pid" 2>/dev/null; do
        if (($(xt_now_ms) > deadline)); then
          lab_log "PID $pid ignored SIGTERM: kill -KILL $pid"
          kill -KILL "$pid" 2>/dev/null || true
          sleep 0.2
          break
        fi
        sleep 0.1
      done
      break
    fi
    sleep 0.05
  done
  ! kill -0 "$pid" 2>/dev/null
}

# Starts node I (its config must exist), waits for its beam PID (recorded in
# node<i>/beam.pid) and for all its ports. Prints the PID on stdout.
lab_start_node() {
  local i=$1 dir name pid port deadline
  dir=$(lab_node_dir "$i")
  name=$(lab_recorded_node_name "$i") || lab_die "node $i is not set up ($dir)"
  if pid=$(lab_node_pid "$i"); then
    lab_die "node $i ($name) already runs as PID $pid"
  fi
  rm -f "$dir/ejabberd.pid" "$dir/beam.pid"
  lab_ctl "$i" start >&2 || lab_die "node $i: ejabberdctl start failed"
  lab_wait_node_pid "$i" >/dev/null
  pid=$(<"$dir/beam.pid")
  for port in $(lab_recorded_ports "$i"); do
    lab_wait_for_port "$port" 60 "$pid" || {
      lab_tail_logs "$i"
      lab_die "node $i ($name): port $port does not accept connections"
    }
  done
  echo "$pid"
}

# Waits (up to 60 s) for ejabberd's own pid file of node I, copies it to
# beam.pid, prints it.
lab_wait_node_pid() {
  local i=$1 dir name pid deadline
  dir=$(lab_node_dir "$i")
  name=$(lab_recorded_node_name "$i")
  deadline=$(($(xt_now_ms) + 60000))
  while :; do
    if [[ -s $dir/ejabberd.pid ]]; then
      pid=$(<"$dir/ejabberd.pid")
      if lab_is_our_beam "$pid" "$name" "$dir"; then break; fi
    fi
    if (($(xt_now_ms) > deadline)); then
      lab_tail_logs "$i"
      lab_die "node $i ($name): no running VM after 60 s (see $dir/logs)"
    fi
    sleep 0.05
  done
  echo "$pid" >"$dir/beam.pid"
  echo "$pid"
}

# Stops node I if it runs: ejabberdctl stop, then waits for the VM to exit
# (15 s, then TERM, then KILL, that PID only). Quiet if it does not run.
lab_stop_node() {
  local i=$1 dir pid
  dir=$(lab_node_dir "$i")
  pid=$(lab_node_pid "$i") || {
    rm -f "$dir/beam.pid"
    return 0
  }
  LAB_CTL_TIMEOUT=20 lab_ctl "$i" stop >/dev/null 2>&1 ||
    lab_log "node $i: ejabberdctl stop failed; signalling PID $pid"
  lab_wait_pid_exit "$pid" 15 || lab_die "node $i: PID $pid would not exit"
  rm -f "$dir/beam.pid" "$dir/ejabberd.pid"
}

# One line per running node PID into $LAB_DIR/pids; updates LAB_PIDS and
# LAB_PID_<i> in lab.env if it exists.
lab_record_pids() {
  local i pid list=() tmp
  declare -A per=()
  for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
    if pid=$(lab_node_pid "$i"); then
      list+=("$pid")
      per[$i]=$pid
    else
      per[$i]=
    fi
  done
  if ((${#list[@]})); then printf '%s\n' "${list[@]}" >"$LAB_DIR/pids"; else : >"$LAB_DIR/pids"; fi
  if [[ -f $LAB_DIR/lab.env ]]; then
    tmp="$LAB_DIR/lab.env.tmp"
    grep -v -E '^LAB_PIDS=|^LAB_PID_[0-9]+=|^LAB_DNS_PID=|^LAB_UNTRUSTED_TLS_PID=' "$LAB_DIR/lab.env" >"$tmp" || true
    {
      printf 'LAB_PIDS=%s\n' "$(
        IFS=,
        echo "${list[*]}"
      )"
      for ((i = 1; i <= LAB_NODE_COUNT; i++)); do printf 'LAB_PID_%s=%s\n' "$i" "${per[$i]}"; done
      printf 'LAB_DNS_PID=%s\n' "$(lab_helper_pid dns || true)"
      printf 'LAB_UNTRUSTED_TLS_PID=%s\n' "$(lab_helper_pid untrusted-tls || true)"
    } >>"$tmp"
    mv "$tmp" "$LAB_DIR/lab.env"
  fi
}

# Open-files limit line of a process.
lab_nofile_limit() {
  grep -i '^Max open files' "/proc/$1/limits" | awk '{print "soft=" $4 " hard=" $5}'
}

# curl to node I's HTTP API as the admin: lab_api I COMMAND [JSON]
lab_api() {
  local i=$1 cmd=$2 body=${3:-'{}'}
  curl -sS --fail-with-body -K "$LAB_CURLRC" -H 'Content-Type: application/json' \
    -X POST "$(lab_api_url "$i")/$cmd" -d "$body"
}
