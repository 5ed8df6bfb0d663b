#!/usr/bin/env bash
# Starts the xtransfer Prosody lab: two independent Prosody 0.12 instances on
# loopback serving the same domain, as nodes p-1 and p-2 (directory type xep0133).
# Stops and wipes a previous lab in the same dir first. Installs Debian's prosody
# with apt-get when it is missing (its own systemd instance is never used).
#   test/lab/prosody-start.sh
# Settings: XTRANSFER_PROSODY_DIR, PROSODY_LAB_C2S_BASE, PROSODY_LAB_USERS,
# PROSODY_LAB_USER_PASSWORD, PROSODY_LAB_DOMAIN, PROSODY_LAB_LOGLEVEL,
# PROSODY_LAB_ITERATIONS, PROSODY_LAB_COMPANION, PROSODY_LAB_SM (docs/servers.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lab/prosody-lib.sh
. "$here/prosody-lib.sh"

case ${1:-} in
  -h | --help)
    sed -n '2,9p' "$0"
    exit 0
    ;;
  '') ;;
  *) plab_die "unknown argument: $1 (usage: prosody-start.sh)" ;;
esac

t0=$(xt_now_ms)
plab_settings
[[ $(id -u) == 0 ]] || plab_die "run as root (apt-get, and the nodes run as user $PLAB_RUN_USER)"

# --- install --------------------------------------------------------------------
if ! command -v prosody >/dev/null 2>&1 || ! command -v prosodyctl >/dev/null 2>&1; then
  t_apt=$(xt_now_ms)
  plab_log "prosody is missing: apt-get install prosody"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq prosody >/dev/null
  plab_log "installed $(prosody -v 2>/dev/null | head -n1 || echo prosody) in $(xt_elapsed "$t_apt") s"
fi
command -v node >/dev/null 2>&1 || plab_die "node is needed (to compute the SCRAM keys of the accounts)"
id "$PLAB_RUN_USER" >/dev/null 2>&1 || plab_die "no user $PLAB_RUN_USER (the prosody package creates it)"
version=$(prosodyctl about 2>/dev/null | sed -n 's/^Prosody \([0-9.]*\).*/\1/p' | head -n1)
case $version in
  0.12.*) ;;
  *) plab_log "warning: Prosody $version (the lab is written for 0.12)" ;;
esac

# --- a previous lab in the same dir: stop it, wipe it ----------------------------
if [[ -e $PLAB_DIR ]]; then
  [[ -e $PLAB_DIR/.xtransfer-prosody-lab ]] ||
    plab_die "$PLAB_DIR exists but is not an xtransfer Prosody lab (no marker): not touching it"
  bash "$here/prosody-stop.sh" --wipe
fi

ports=()
for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
  ports+=("$(plab_c2s_port "$i")")
  [[ $PLAB_COMPANION == on ]] && ports+=("$(plab_admin_port "$i")")
done
plab_check_ports_free "${ports[@]}"

# From here on, a failure stops what this run started (logs are kept).
cleanup_on_failure() {
  local rc=$?
  if ((rc != 0)); then
    plab_log "start failed: stopping what was started (logs kept in $PLAB_DIR)"
    for ((k = 1; k <= PLAB_NODE_COUNT; k++)); do plab_stop_node "$k" || true; done
  fi
}
trap cleanup_on_failure EXIT

mkdir -p "$PLAB_DIR"
chmod 755 "$PLAB_DIR"
touch "$PLAB_DIR/.xtransfer-prosody-lab"
(
  umask 077
  head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$PLAB_ADMIN_PASSWORD_FILE"
)
admin_password=$(<"$PLAB_ADMIN_PASSWORD_FILE")

# --- accounts: the internal storage files, written directly ---------------------
# prosodyctl register costs ~0.2 s per user (a Lua start each); Prosody's
# internal_hashed store is one Lua file per account
# (data/<host %-encoded>/accounts/<user>.dat) holding the SCRAM-SHA-1 salt,
# iteration count, stored and server keys. Every user has the same password, so
# one salt and one key pair serve them all (a lab shortcut).
t_users=$(xt_now_ms)
# shellcheck disable=SC2016 # JavaScript, not shell
scram_record() { # PASSWORD -> the account file's text
  node -e '
    const c = require("node:crypto")
    const [password, iterations] = [process.argv[1], Number(process.argv[2])]
    const salt = c.randomUUID()
    const salted = c.pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 20, "sha1")
    const hmac = (key, text) => c.createHmac("sha1", key).update(text).digest()
    const stored = c.createHash("sha1").update(hmac(salted, "Client Key")).digest("hex")
    const server = hmac(salted, "Server Key").toString("hex")
    process.stdout.write(`return {\n\t["salt"] = "${salt}";\n\t["stored_key"] = "${stored}";\n\t["iteration_count"] = ${iterations};\n\t["server_key"] = "${server}";\n};\n`)
  ' "$1" "$PLAB_ITERATIONS"
}
host_dir=$(printf '%s' "$PLAB_DOMAIN" | sed 's/\./%2e/g; s/-/%2d/g')
accounts="$PLAB_DIR/node1/data/$host_dir/accounts"
mkdir -p "$accounts"
user_record=$(scram_record "$PLAB_USER_PASSWORD")
scram_record "$admin_password" >"$accounts/admin.dat"
for ((n = 1; n <= PLAB_USERS; n++)); do
  printf -v user 'user%04d' "$n"
  printf '%s\n' "$user_record" >"$accounts/$user.dat"
done
for ((i = 2; i <= PLAB_NODE_COUNT; i++)); do
  mkdir -p "$(plab_node_dir "$i")"
  cp -a "$PLAB_DIR/node1/data" "$(plab_node_dir "$i")/data"
done
users_time=$(xt_elapsed "$t_users")

# --- the companion module: copied into a plugin folder, as operators install it ------
if [[ $PLAB_COMPANION == on ]]; then
  companion_src="$here/../../src/companion/prosody/mod_xtransfer.lua"
  [[ -r $companion_src ]] || plab_die "no $companion_src"
  mkdir -p "$PLAB_DIR/plugins"
  install -m 0644 "$companion_src" "$PLAB_DIR/plugins/mod_xtransfer.lua"
fi
sm_config=''
if [[ $PLAB_SM == on ]]; then
  # ejabberd's lab keeps a dropped session resumable for 60 s too (resume_timeout); Prosody's
  # default of 600 s would leave a test's unclean disconnect listed for ten minutes.
  sm_config='smacks_hibernation_time = 60'
fi

# --- node configs ----------------------------------------------------------------
write_node_config() {
  local i=$1 dir port
  dir=$(plab_node_dir "$i")
  port=$(plab_c2s_port "$i")
  mkdir -p "$dir/certs"
  local companion_config=''
  if [[ $PLAB_COMPANION == on ]]; then
    companion_config="plugin_paths = { \"$PLAB_DIR/plugins\" }
xtransfer_admin_ports = { $(plab_admin_port "$i") } -- no cordon closes it; admins only
xtransfer_admin_interfaces = { \"127.0.0.1\" }"
  fi
  cat >"$(plab_config "$i")" <<EOF
-- xtransfer Prosody lab, node $(plab_node_name "$i"): generated by test/lab/prosody-start.sh
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/certs"
log = { { levels = { min = "$PLAB_LOGLEVEL" }, to = "file", filename = "$dir/prosody.log" } }
admins = { "$PLAB_ADMIN_JID" }

-- Loopback only; plain c2s, no TLS (no certificate), no s2s, no HTTP.
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = {}
legacy_ssl_ports = {}
s2s_ports = {}
http_ports = {}
https_ports = {}
network_settings = { tcp_backlog = 1024 }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true -- lab only

authentication = "internal_hashed"
storage = "internal"

modules_enabled = {
  "roster"; "saslauth"; "disco"; "ping";
  "admin_adhoc"; -- XEP-0133 (loads mod_adhoc)
$( [[ $PLAB_SM == on ]] && echo '  "smacks"; -- XEP-0198' )
$( [[ $PLAB_COMPANION == on ]] && echo '  "xtransfer"; -- the companion (src/companion/prosody)' )
}
modules_disabled = { "s2s"; "s2s_auth_certs"; "offline" }
$companion_config
$sm_config

VirtualHost "$PLAB_DOMAIN"
EOF
}
for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do write_node_config "$i"; done
chown -R "$PLAB_RUN_USER:$PLAB_RUN_USER" "$PLAB_DIR"/node*

# --- start ------------------------------------------------------------------------
t_start=$(xt_now_ms)
declare -A start_jobs=()
for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
  plab_start_node "$i" >/dev/null &
  start_jobs[$i]=$!
done
for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
  wait "${start_jobs[$i]}" || plab_die "node $i did not start"
done
start_time=$(xt_elapsed "$t_start")

# --- files for the tests ------------------------------------------------------------
{
  echo "LAB_SERVER=prosody"
  echo "LAB_DIR=$PLAB_DIR"
  echo "LAB_DOMAIN=$PLAB_DOMAIN"
  echo "LAB_HOST=127.0.0.1"
  echo "LAB_ADMIN_JID=$PLAB_ADMIN_JID"
  echo "LAB_ADMIN_PASSWORD_FILE=$PLAB_ADMIN_PASSWORD_FILE"
  echo "LAB_USER_PASSWORD=$PLAB_USER_PASSWORD"
  echo "LAB_USERS=$PLAB_USERS"
  echo "LAB_USER_FORMAT=user%04d"
  echo "LAB_NODE_COUNT=$PLAB_NODE_COUNT"
  for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
    echo "LAB_NODE_$i=$(plab_node_name "$i")"
    echo "LAB_C2S_$i=$(plab_c2s_port "$i")"
    echo "LAB_CONFIG_$i=$(plab_config "$i")"
    [[ $PLAB_COMPANION == on ]] && echo "LAB_ADMIN_PORT_$i=$(plab_admin_port "$i")"
  done
  echo "LAB_CONFIG=$PLAB_DIR/xtransfer.yaml"
  echo "LAB_COMPANION=$PLAB_COMPANION"
  echo "LAB_SM=$PLAB_SM"
} >"$PLAB_DIR/lab.env"
plab_record_pids

{
  echo "domain: $PLAB_DOMAIN"
  echo "admin:"
  echo "  jid: $PLAB_ADMIN_JID"
  echo "  service: xmpp://127.0.0.1:$(plab_c2s_port 1)   # transfer packets go out from p-1: they reach p-1's sessions only"
  echo "  insecurePlain: true"
  echo "  passwordFile: $PLAB_ADMIN_PASSWORD_FILE"
  echo "directory:"
  echo "  type: xep0133"
  echo "nodes:"
  for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
    if [[ $PLAB_COMPANION == on ]]; then
      # The directory logs in on the admin port, which a cordon leaves open.
      echo "  $(plab_node_name "$i"): { address: 127.0.0.1:$(plab_c2s_port "$i"), service: xmpp://127.0.0.1:$(plab_admin_port "$i") }"
    else
      echo "  $(plab_node_name "$i"): { address: 127.0.0.1:$(plab_c2s_port "$i") }"
    fi
  done
} >"$PLAB_DIR/xtransfer.yaml"

# --- summary ------------------------------------------------------------------------
printf '\n%-5s %-16s %-11s %-8s %s\n' NODE C2S ADMIN-PORT PID OPEN-FILES
for ((i = 1; i <= PLAB_NODE_COUNT; i++)); do
  pid=$(plab_node_pid "$i") || plab_die "node $i is not running at the end of start"
  admin_port=-
  [[ $PLAB_COMPANION == on ]] && admin_port=$(plab_admin_port "$i")
  printf '%-5s %-16s %-11s %-8s %s\n' "$(plab_node_name "$i")" "127.0.0.1:$(plab_c2s_port "$i")" "$admin_port" "$pid" "$(plab_nofile_limit "$pid")"
done
printf '\nusers: %s (user%04d..user%04d, password %s) written in %s s; admin %s (password in %s)\n' \
  "$PLAB_USERS" 1 "$PLAB_USERS" "$PLAB_USER_PASSWORD" "$users_time" "$PLAB_ADMIN_JID" "$PLAB_ADMIN_PASSWORD_FILE"
printf 'files: %s/lab.env %s/xtransfer.yaml; stop with test/lab/prosody-stop.sh [--wipe]\n' "$PLAB_DIR" "$PLAB_DIR"
printf 'companion (mod_xtransfer): %s; stream management (mod_smacks): %s\n' "$PLAB_COMPANION" "$PLAB_SM"
printf 'nodes started in %s s; lab started in %s s\n' "$start_time" "$(xt_elapsed "$t0")"
