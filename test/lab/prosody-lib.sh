# shellcheck shell=bash
# Shared functions of the xtransfer Prosody lab (sourced by prosody-start.sh and
# prosody-stop.sh). Nothing here starts or stops anything by itself.
#
# Two independent Prosody 0.12 instances on loopback serve the same domain, as the
# "nodes" p-1 and p-2 of an xtransfer config with directory type xep0133. They share
# nothing: each has its own config, data dir (the same accounts, written by
# prosody-start.sh), pid file and c2s port.
#
# Layout of a lab ($PLAB_DIR, default /tmp/xtransfer-prosody):
#   .xtransfer-prosody-lab  marker: only a dir holding it is ever wiped
#   admin.password          admin's password (0600)
#   plugins/                mod_xtransfer.lua, copied from src/companion/prosody (companion on)
#   node<i>/                per node, owned by prosody:
#     prosody.cfg.lua prosody.log console.log
#     prosody.pid           written by Prosody (mod_posix), removed when it exits
#     data/ certs/
#   lab.env xtransfer.yaml pids

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PLAB_NODE_COUNT=2
PLAB_RUN_USER=prosody
case ":$PATH:" in
  *:/usr/sbin:*) ;;
  *) PATH="$PATH:/usr/sbin:/sbin" ;;
esac

plab_log() { printf '[prosody-lab] %s\n' "$*" >&2; }
plab_die() {
  printf '[prosody-lab] ERROR: %s\n' "$*" >&2
  exit 1
}



# Settings from the environment, with defaults. The lab dir is not taken from a
# previous lab.env: XTRANSFER_PROSODY_DIR selects the lab.
# shellcheck disable=SC2034 # the variables are used by the sourcing scripts
plab_settings() {
  PLAB_DIR=${XTRANSFER_PROSODY_DIR:-/tmp/xtransfer-prosody}
  PLAB_DIR=${PLAB_DIR%/}
  case $PLAB_DIR in
    /*) ;;
    *) plab_die "XTRANSFER_PROSODY_DIR must be an absolute path (got '$PLAB_DIR')" ;;
  esac
  # Written into Lua strings and YAML unquoted: keep paths simple.
  [[ $PLAB_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    plab_die "XTRANSFER_PROSODY_DIR may only contain letters, digits and ._/- (got '$PLAB_DIR')"
  case $PLAB_DIR in
    / | /tmp | /var | /root | /home | /etc | /usr) plab_die "refusing lab dir $PLAB_DIR" ;;
  esac
  PLAB_DOMAIN=${PROSODY_LAB_DOMAIN:-example.test}
  [[ $PLAB_DOMAIN =~ ^[a-z0-9.-]+$ ]] || plab_die "PROSODY_LAB_DOMAIN must match [a-z0-9.-]+ (got '$PLAB_DOMAIN')"
  PLAB_C2S_BASE=${PROSODY_LAB_C2S_BASE:-27220}
  PLAB_USERS=${PROSODY_LAB_USERS:-400}
  PLAB_USER_PASSWORD=${PROSODY_LAB_USER_PASSWORD:-lab-user-pw}
  PLAB_LOGLEVEL=${PROSODY_LAB_LOGLEVEL:-info}
  PLAB_ITERATIONS=${PROSODY_LAB_ITERATIONS:-10000}
  # mod_xtransfer (src/companion/prosody), installed as docs/servers.md tells operators.
  PLAB_COMPANION=${PROSODY_LAB_COMPANION:-on}
  # mod_smacks (XEP-0198), as deployed servers have it.
  PLAB_SM=${PROSODY_LAB_SM:-on}
  local n
  for n in PLAB_C2S_BASE PLAB_USERS PLAB_ITERATIONS; do
    [[ ${!n} =~ ^[0-9]+$ ]] || plab_die "${n/PLAB_/PROSODY_LAB_} must be a number (got '${!n}')"
  done
  ((PLAB_C2S_BASE + 10 + PLAB_NODE_COUNT < 65536)) || plab_die "ports out of range"
  ((PLAB_ITERATIONS >= 4096)) || plab_die "PROSODY_LAB_ITERATIONS must be at least 4096 (RFC 5802)"
  [[ $PLAB_USER_PASSWORD =~ ^[A-Za-z0-9._+-]+$ ]] ||
    plab_die "PROSODY_LAB_USER_PASSWORD may only contain letters, digits and ._+-"
  case $PLAB_COMPANION in
    on | off) ;;
    *) plab_die "PROSODY_LAB_COMPANION must be on or off (got '$PLAB_COMPANION')" ;;
  esac
  case $PLAB_SM in
    on | off) ;;
    *) plab_die "PROSODY_LAB_SM must be on or off (got '$PLAB_SM')" ;;
  esac
  case $PLAB_LOGLEVEL in
    debug | info | warn | error) ;;
    *) plab_die "PROSODY_LAB_LOGLEVEL must be debug, info, warn or error" ;;
  esac
  PLAB_ADMIN_JID="admin@$PLAB_DOMAIN"
  PLAB_ADMIN_PASSWORD_FILE="$PLAB_DIR/admin.password"
}

plab_node_dir() { printf '%s/node%s' "$PLAB_DIR" "$1"; }
plab_node_name() { printf 'p-%s' "$1"; }
plab_c2s_port() { echo $((PLAB_C2S_BASE + $1)); }
# mod_xtransfer's admin port (xtransfer_admin_ports): no cordon closes it; admins only.
plab_admin_port() { echo $((PLAB_C2S_BASE + 10 + $1)); }
plab_config() { printf '%s/prosody.cfg.lua' "$(plab_node_dir "$1")"; }

# Port as recorded in the node's config (the lab may have been started with
# other settings than the current environment's).
plab_recorded_port() {
  local cfg
  cfg=$(plab_config "$1")
  [[ -r $cfg ]] || return 1
  sed -n 's/^c2s_ports = { \([0-9]*\) }$/\1/p' "$cfg"
}


plab_check_ports_free() {
  local busy
  busy=$(xt_busy_ports "$@") || return 0
  plab_die "port(s) already in use: $busy (another lab or service?). Pick others with PROSODY_LAB_C2S_BASE, or stop it."
}

# True if PID is alive and is a Prosody started with node I's config (guards
# against a recycled PID).
plab_is_our_prosody() {
  local pid=$1 cfg=$2 cmd
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *prosody* && $cmd == *"--config $cfg "* ]]
}

# PID of node I's Prosody if it runs, else fails.
plab_node_pid() {
  local i=$1 f pid
  f="$(plab_node_dir "$i")/prosody.pid"
  [[ -r $f ]] || return 1
  pid=$(tr -dc '0-9' <"$f")
  plab_is_our_prosody "$pid" "$(plab_config "$i")" || return 1
  echo "$pid"
}

plab_tail_logs() {
  local dir f
  dir=$(plab_node_dir "$1")
  for f in "$dir/console.log" "$dir/prosody.log"; do
    if [[ -s $f ]]; then
      printf -- '--- last lines of %s ---\n' "$f" >&2
      tail -n 25 "$f" >&2
    fi
  done
}

plab_wait_for_port() {
  local port=$1 timeout_s=${2:-30} pid=${3:-} deadline
  deadline=$(($(xt_now_ms) + timeout_s * 1000))
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      plab_log "process $pid died while waiting for port $port"
      return 1
    fi
    if (($(xt_now_ms) > deadline)); then
      plab_log "timeout (${timeout_s}s) waiting for port $port"
      return 1
    fi
    sleep 0.05
  done
}

# Waits for PID to exit; then TERM again, then KILL. Only ever signals that PID.
plab_wait_pid_exit() {
  local pid=$1 timeout_s=${2:-15} deadline
  deadline=$(($(xt_now_ms) + timeout_s * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(xt_now_ms) > deadline)); then
      plab_log "PID $pid still alive after ${timeout_s}s: kill -KILL $pid"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.05
  done
  ! kill -0 "$pid" 2>/dev/null
}

# Starts node I as the prosody user (daemonized by Prosody itself, soft
# open-files limit raised to the hard one), waits for its pid file and port.
# Prints the PID.
plab_start_node() {
  local i=$1 dir cfg port deadline pid=''
  dir=$(plab_node_dir "$i")
  cfg=$(plab_config "$i")
  port=$(plab_recorded_port "$i") || plab_die "node $i: no config in $dir"
  rm -f "$dir/prosody.pid"
  # shellcheck disable=SC2016 # expanded by the inner bash
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$dir" LANG=C.UTF-8 \
    setpriv --reuid "$PLAB_RUN_USER" --regid "$PLAB_RUN_USER" --init-groups -- \
    bash -c 'hard=$(ulimit -Hn)
             if [ "$hard" = unlimited ]; then hard=$(cat /proc/sys/fs/nr_open); fi
             ulimit -Sn "$hard" || exit 1
             exec prosody --config "$1" -D' plab-start "$cfg" \
    >"$dir/console.log" 2>&1 </dev/null || {
    plab_tail_logs "$i"
    plab_log "node $i: prosody -D failed"
    return 1
  }
  deadline=$(($(xt_now_ms) + 15000))
  until pid=$(plab_node_pid "$i"); do
    if (($(xt_now_ms) > deadline)); then
      plab_tail_logs "$i"
      plab_log "node $i: no running Prosody with pid file $dir/prosody.pid after 15 s"
      return 1
    fi
    sleep 0.05
  done
  plab_wait_for_port "$port" 15 "$pid" || {
    plab_tail_logs "$i"
    return 1
  }
  echo "$pid"
}

# Stops node I if it runs (SIGTERM: Prosody closes its sessions and exits).
plab_stop_node() {
  local i=$1 pid
  pid=$(plab_node_pid "$i") || return 0
  kill -TERM "$pid" 2>/dev/null || true
  plab_wait_pid_exit "$pid" 15
}

plab_nofile_limit() {
  awk '/^Max open files/ {print "soft=" $4 " hard=" $5}' "/proc/$1/limits" 2>/dev/null
}

# Writes $PLAB_DIR/pids and the LAB_PIDS / LAB_PID_<i> lines of lab.env.
plab_record_pids() {
  local i pid pids=() env_file="$PLAB_DIR/lab.env"
  : >"$PLAB_DIR/pids"
  for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
    if pid=$(plab_node_pid "$i"); then
      pids+=("$pid")
      echo "$pid" >>"$PLAB_DIR/pids"
    fi
  done
  [[ -f $env_file ]] || return 0
  sed -i '/^LAB_PIDS=/d; /^LAB_PID_[0-9]*=/d' "$env_file"
  local IFS=,
  echo "LAB_PIDS=${pids[*]}" >>"$env_file"
  for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
    echo "LAB_PID_$i=$(plab_node_pid "$i" || true)" >>"$env_file"
  done
}
