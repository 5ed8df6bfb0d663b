#!/usr/bin/env bash
# Starts the xtransfer lab: a 3-node ejabberd cluster on loopback serving one
# domain, with an admin and LAB_USERS registered users. Idempotent: a previous
# lab in the same dir is stopped and wiped first. See test/lab/README.md.
#   test/lab/start.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lab/lib.sh
. "$here/lib.sh"

t0=$(xt_now_ms)
lab_settings

# --- a previous lab of ours ----------------------------------------------------
"$here/stop.sh" --wipe

# --- ejabberd and tools -------------------------------------------------------
missing=()
command -v ejabberdctl >/dev/null 2>&1 || missing+=(ejabberd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
# OAuth tokens for mod_http_api (oauth_issue_token): ejabberd only Suggests the oauth2 library;
# without it the command fails with HTTP 500 (error:undef oauth2:authorize_password).
compgen -G '/usr/lib/erlang/lib/p1_oauth2-*' >/dev/null || missing+=(erlang-p1-oauth2)
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || lab_die "missing ${missing[*]} and not root: install them first"
  lab_log "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  command -v ejabberdctl >/dev/null 2>&1 || lab_die "ejabberdctl still missing after apt-get install ejabberd"
fi
[[ $(id -u) == 0 ]] || lab_die "start.sh must run as root (it runs the nodes as user $LAB_RUN_USER)"
id "$LAB_RUN_USER" >/dev/null 2>&1 || lab_die "no user $LAB_RUN_USER (is the ejabberd package installed?)"

# --- the companion module (mod_xtransfer) ----------------------------------------
# Installed the Debian way (docs/servers.md): build.sh compiles the .beam, and one
# modules: entry enables it. The lab never writes into Debian's ebin (other test
# runs share it): the .beam goes to $LAB_DIR/ebin, which every node gets with -pa.
companion_ebin="$LAB_DIR/ebin"
if [[ $LAB_COMPANION == on ]] && ! command -v erlc >/dev/null 2>&1; then
  lab_log "installing erlang-base for erlc (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-base >/dev/null
fi

# --- ports --------------------------------------------------------------------
ports=()
for ((i = 1; i <= LAB_NODE_COUNT; i++)); do ports+=("$(lab_c2s_port "$i")" "$(lab_plain_port "$i")" "$(lab_api_port "$i")"); done
ports+=("$LAB_TLS_PORT" "$LAB_DNS_PORT")
if [[ $(printf '%s\n' "${ports[@]}" | sort | uniq -d) ]]; then
  lab_die "the lab's ports overlap: ${ports[*]} (check LAB_C2S_BASE, LAB_PLAIN_BASE, LAB_API_BASE, LAB_TLS_PORT, LAB_DNS_PORT)"
fi
lab_check_ports_free "${ports[@]}"
if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hlun "sport = :$LAB_DNS_PORT" 2>/dev/null) ]]; then
  lab_die "UDP port $LAB_DNS_PORT is already in use (another lab's DNS server?). Pick another with LAB_DNS_PORT."
fi
command -v node >/dev/null 2>&1 || lab_die "node is missing (the lab's DNS server runs on Node)"
lab_check_node_names_free

# --- lab dir, secrets, certificate --------------------------------------------
mkdir -p "$LAB_DIR"
chmod 0755 "$LAB_DIR"
: >"$LAB_DIR/.xtransfer-lab"
# Fail instead of leaving running nodes behind.
on_exit() {
  local rc=$?
  if ((rc != 0)); then
    lab_log "start failed (exit $rc): stopping what was started; logs stay in $LAB_DIR/node*/logs"
    "$here/stop.sh" || true
  fi
}
trap on_exit EXIT

if [[ $LAB_COMPANION == on ]]; then
  t_build=$(xt_now_ms)
  "$here/../../src/companion/ejabberd/build.sh" "$companion_ebin" >/dev/null ||
    lab_die "could not build mod_xtransfer (src/companion/ejabberd/build.sh)"
  chmod 0755 "$companion_ebin"
  chmod 0644 "$companion_ebin/mod_xtransfer.beam"
  lab_log "built mod_xtransfer.beam into $companion_ebin in $(xt_elapsed "$t_build") s"
fi

rand_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
(
  umask 077
  printf 'xtlab%s\n' "$(rand_hex 20)" >"$LAB_DIR/cookie"
  rand_hex 12 >"$LAB_DIR/admin.password"
  echo >>"$LAB_DIR/admin.password"
  printf 'user = "%s:%s"\n' "$LAB_ADMIN_JID" "$(head -n1 "$LAB_DIR/admin.password")" >"$LAB_CURLRC"
)
cookie=$(<"$LAB_DIR/cookie")
admin_password=$(head -n1 "$LAB_DIR/admin.password")

# TLS as in production: a private CA made for this lab start (its key 0600, readable by root
# only, in the lab dir), and a server certificate for the domain signed by it, which every
# node's default c2s listener presents. Tests trust the CA through NODE_EXTRA_CA_CERTS. A
# self-signed certificate is for the untrusted STARTTLS endpoint on LAB_TLS_PORT
# (untrusted-tls.ts: ejabberd 23.01 cannot serve it on one listener only, see that file).
tls_dir="$LAB_DIR/tls"
mkdir -p "$tls_dir"
(
  umask 077
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=xtransfer lab CA $LAB_DOMAIN" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$LAB_DIR/ca.key" -out "$LAB_DIR/ca.crt" 2>/dev/null ||
    lab_die "openssl could not make the lab CA"
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$LAB_DOMAIN" \
    -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>/dev/null ||
    lab_die "openssl could not make the server key"
  printf '%s\n' "subjectAltName=DNS:$LAB_DOMAIN,DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tls_dir/server.ext"
  openssl x509 -req -in "$tls_dir/server.csr" -CA "$LAB_DIR/ca.crt" -CAkey "$LAB_DIR/ca.key" -CAcreateserial \
    -days 30 -extfile "$tls_dir/server.ext" -out "$tls_dir/server.crt" 2>/dev/null ||
    lab_die "openssl could not sign the server certificate"
  cat "$tls_dir/server.key" "$tls_dir/server.crt" >"$tls_dir/$LAB_DOMAIN.pem"
  rm -f "$tls_dir/server.key" "$tls_dir/server.csr" "$tls_dir/server.ext" "$LAB_DIR/ca.srl"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$LAB_DOMAIN" \
    -addext "subjectAltName=DNS:$LAB_DOMAIN" \
    -keyout "$tls_dir/self-signed.key" -out "$tls_dir/self-signed.crt" 2>/dev/null ||
    lab_die "openssl could not make the self-signed certificate"
  cat "$tls_dir/self-signed.key" "$tls_dir/self-signed.crt" >"$tls_dir/self-signed.pem"
  rm -f "$tls_dir/self-signed.key"
)
openssl verify -CAfile "$LAB_DIR/ca.crt" "$tls_dir/server.crt" >/dev/null ||
  lab_die "the server certificate does not verify against the lab CA"
chmod 0600 "$LAB_DIR/ca.key"
chmod 0644 "$LAB_DIR/ca.crt" "$tls_dir/server.crt" "$tls_dir/self-signed.crt"
chmod 0640 "$tls_dir/$LAB_DOMAIN.pem"
chown -R "$LAB_RUN_USER:$LAB_RUN_USER" "$tls_dir"
chown root:root "$tls_dir/self-signed.pem"
chmod 0600 "$tls_dir/self-signed.pem"
chmod 0750 "$tls_dir"

# --- per-node configuration ---------------------------------------------------
write_node_config() {
  local i=$1 dir name c2s plain api
  dir=$(lab_node_dir "$i")
  name=$(lab_node_name "$i")
  c2s=$(lab_c2s_port "$i")
  plain=$(lab_plain_port "$i")
  api=$(lab_api_port "$i")
  mkdir -p "$dir/spool" "$dir/logs" "$dir/home"
  echo "$name" >"$dir/nodename"
  echo "$c2s $plain $api" >"$dir/ports"
  cp /etc/ejabberd/inetrc "$dir/inetrc" 2>/dev/null ||
    printf '%s\n' '{lookup,["file","native"]}.' '{host,{127,0,0,1}, ["localhost","hostalias"]}.' \
      '{file, resolv, "/etc/resolv.conf"}.' >"$dir/inetrc"
  local companion_pa=
  if [[ $LAB_COMPANION == on ]]; then companion_pa=" -pa $companion_ebin"; fi
  (
    umask 077
    cat >"$dir/ejabberdctl.cfg" <<EOF
# xtransfer lab, node $i: generated by test/lab/start.sh
ERL_OPTIONS="-setcookie $cookie -kernel inet_dist_use_interface {127,0,0,1} -env ERL_CRASH_DUMP_BYTES 0${companion_pa}"
ERL_EPMD_ADDRESS=127.0.0.1
EJABBERD_PID_PATH=$dir/ejabberd.pid
EJABBERD_BYPASS_WARNINGS=true
EOF
  )
  {
    cat <<EOF
# xtransfer lab, node $i ($name): generated by test/lab/start.sh
loglevel: $LAB_LOGLEVEL
log_rotate_count: 0
hosts:
  - "$LAB_DOMAIN"
certfiles:
  - "$tls_dir/$LAB_DOMAIN.pem"
acme:
  auto: false
auth_method: internal
auth_password_format: $LAB_PASSWORD_FORMAT
disable_sasl_mechanisms:
  - "digest-md5"
  - "x-oauth2"
s2s_access: none

listen:
  -
    port: $c2s
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 1024
    starttls: true
    starttls_required: true
    max_stanza_size: 8388608
    shaper: none
    access: c2s
  -
    port: $plain
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 1024
    starttls: false
    starttls_required: false
    max_stanza_size: 8388608
    shaper: none
    access: c2s
  -
    port: $api
    ip: "127.0.0.1"
    module: ejabberd_http
    backlog: 1024
    request_handlers:
      /api: mod_http_api
EOF
    cat <<EOF

acl:
  admin:
    user:
      - "$LAB_ADMIN_JID"

access_rules:
  c2s:
    allow: all
  announce:
    allow: admin
  configure:
    allow: admin
  oauth_admin:
    allow: admin

# Who may be issued an OAuth token (oauth_issue_token): the admin only. The default, none,
# refuses every token (oauth_issue_token then fails with badpass).
oauth_access: oauth_admin

# Only the admin may call the HTTP API: with HTTP Basic, every command; with an
# OAuth bearer token, each command only if the token's scopes name it (one rule per
# command: ejabberd 23.01 checks a token's scopes against the rule, not the command).
# No unauthenticated loopback access. ejabberdctl keeps its access.
api_permissions:
  "console commands":
    from: ejabberd_ctl
    who: all
    what: "*"
  "admin over http api":
    from: mod_http_api
    who:
      access:
        allow:
          - acl: admin
    what: "*"
EOF
    local command
    for command in $LAB_OAUTH_COMMANDS; do
      cat <<EOF
  "admin over http api with a token for $command":
    from: mod_http_api
    who:
      oauth:
        scope: "$command"
        access:
          allow:
            - acl: admin
    what: "$command"
EOF
    done
    cat <<EOF

shaper_rules:
  max_user_sessions: 100
  max_user_offline_messages:
    5000: admin
    100: all

modules:
  mod_adhoc: {}
  mod_admin_extra: {}
  mod_caps: {}
  mod_configure: {}
  mod_disco: {}
  mod_http_api: {}
  mod_last: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_ping: {}
  mod_roster:
    versioning: true
EOF
    if [[ $LAB_COMPANION == on ]]; then
      if [[ -n $LAB_FORWARD_LATE ]]; then
        printf '  mod_xtransfer:\n    forward_late: %s\n' "$LAB_FORWARD_LATE"
      else
        echo "  mod_xtransfer: {}"
      fi
    fi
    if [[ $LAB_SM == on ]]; then
      cat <<EOF
  mod_stream_mgmt:
    resume_timeout: 60
    resend_on_timeout: $LAB_SM_RESEND
EOF
    fi
  } >"$dir/ejabberd.yml"
  chown -R "$LAB_RUN_USER:$LAB_RUN_USER" "$dir"
}
for ((i = 1; i <= LAB_NODE_COUNT; i++)); do write_node_config "$i"; done

# --- start the nodes (all at once; they boot as independent nodes) ----------
t_start=$(xt_now_ms)
declare -A start_jobs=()
for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
  lab_start_node "$i" >/dev/null &
  start_jobs[$i]=$!
done
for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
  wait "${start_jobs[$i]}" || lab_die "node $i did not start"
done
lab_log "3 nodes up in $(xt_elapsed "$t_start") s"

# --- cluster: join 2..N to node 1 (restarts and wipes the joining node) -------
t_join=$(xt_now_ms)
node1=$(lab_node_name 1)
for ((i = 2; i <= LAB_NODE_COUNT; i++)); do
  lab_ctl "$i" join_cluster "$node1" >"$LAB_DIR/node$i/logs/join_cluster.out" 2>&1 || {
    cat "$LAB_DIR/node$i/logs/join_cluster.out" >&2
    lab_tail_logs "$i"
    lab_die "node $i: join_cluster $node1 failed"
  }
  lab_wait_node_pid "$i" >/dev/null
  for port in $(lab_recorded_ports "$i"); do
    lab_wait_for_port "$port" 60 "$(<"$LAB_DIR/node$i/beam.pid")" ||
      lab_die "node $i: port $port not back after join_cluster"
  done
done
lab_log "cluster joined in $(xt_elapsed "$t_join") s"

# --- admin --------------------------------------------------------------------
lab_ctl 1 register admin "$LAB_DOMAIN" "$admin_password" >/dev/null ||
  lab_die "could not register $LAB_ADMIN_JID"

# Every node's API: the admin gets list_cluster (3 nodes); anonymous and
# wrong-password calls are refused.
for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
  url=$(lab_api_url "$i")
  cluster=$(lab_api "$i" list_cluster) || lab_die "node $i: authenticated list_cluster failed: $cluster"
  count=$(grep -o '"[^"]*@[^"]*"' <<<"$cluster" | wc -l)
  ((count == LAB_NODE_COUNT)) || lab_die "node $i: list_cluster shows $count nodes, not $LAB_NODE_COUNT: $cluster"
  anon_code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/connected_users_number" -d '{}')
  [[ $anon_code != 200 ]] || lab_die "node $i: unauthenticated API call was accepted"
  wrong_code=$(curl -sS -o /dev/null -w '%{http_code}' -u "$LAB_ADMIN_JID:wrong-$admin_password" -X POST "$url/connected_users_number" -d '{}')
  [[ $wrong_code != 200 ]] || lab_die "node $i: API call with a wrong password was accepted"
done
lab_log "list_cluster: $cluster; API refuses anonymous (HTTP $anon_code) and wrong-password (HTTP $wrong_code) calls"

# mod_xtransfer answers on every node, as that node.
if [[ $LAB_COMPANION == on ]]; then
  for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
    answer=$(lab_api "$i" xtransfer_version) || lab_die "node $i: xtransfer_version failed: $answer"
    [[ $answer == "{\"version\":2,\"node\":\"$(lab_node_name "$i")\"}" ]] ||
      lab_die "node $i: xtransfer_version answered $answer"
  done
  lab_log "mod_xtransfer loaded on all $LAB_NODE_COUNT nodes (xtransfer_version: $answer)"
fi

# --- users (HTTP API register, spread over the nodes) -------------------------
# One curl process running LAB_REGISTER_PARALLEL transfers at a time (about a
# quarter cheaper than xargs -P16 curl: no process per user). The server side
# dominates: two PBKDF2 per call (the admin's Basic auth, the new SCRAM).
t_reg=$(xt_now_ms)
reg_log="$LAB_DIR/register.log"
reg_cfg="$LAB_DIR/register.curlrc"
: >"$reg_log"
if ((LAB_USERS > 0)); then
  api_urls=()
  for ((i = 1; i <= LAB_NODE_COUNT; i++)); do api_urls+=("$(lab_api_url "$i")"); done
  admin_user_line=$(head -n1 "$LAB_CURLRC")
  (
    umask 077
    for ((n = 1; n <= LAB_USERS; n++)); do
      ((n == 1)) || echo next
      printf -v user 'user%04d' "$n"
      printf '%s\nurl = "%s/register"\nheader = "Content-Type: application/json"\n' \
        "$admin_user_line" "${api_urls[n % LAB_NODE_COUNT]}"
      printf 'data = "{\\"user\\":\\"%s\\",\\"host\\":\\"%s\\",\\"password\\":\\"%s\\"}"\n' \
        "$user" "$LAB_DOMAIN" "$LAB_USER_PASSWORD"
      printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %s\\n"\n' "$user"
    done >"$reg_cfg"
  )
  curl --no-progress-meter --parallel --parallel-max "$LAB_REGISTER_PARALLEL" -K "$reg_cfg" \
    >"$reg_log" 2>&1 || true
  rm -f "$reg_cfg"
fi
registered=$(grep -c '^200 ' "$reg_log" || true)
reg_time=$(xt_elapsed "$t_reg")
if ((registered != LAB_USERS)); then
  grep -v '^200 ' "$reg_log" | head -n 10 >&2 || true
  lab_die "registered $registered of $LAB_USERS users (see $reg_log)"
fi
lab_log "registered $registered users in $reg_time s"

# --- files for the tests ------------------------------------------------------
{
  echo "LAB_DIR=$LAB_DIR"
  echo "LAB_DOMAIN=$LAB_DOMAIN"
  echo "LAB_HOST=127.0.0.1"
  echo "LAB_ADMIN_JID=$LAB_ADMIN_JID"
  echo "LAB_ADMIN_PASSWORD_FILE=$LAB_ADMIN_PASSWORD_FILE"
  echo "LAB_ADMIN_CURLRC=$LAB_CURLRC"
  echo "LAB_USER_PASSWORD=$LAB_USER_PASSWORD"
  echo "LAB_USERS=$LAB_USERS"
  echo "LAB_USER_FORMAT=user%04d"
  echo "LAB_NODE_PREFIX=$LAB_NODE_PREFIX"
  echo "LAB_NODE_COUNT=$LAB_NODE_COUNT"
  for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
    echo "LAB_NODE_$i=$(lab_node_name "$i")"
    echo "LAB_C2S_$i=$(lab_c2s_port "$i")"
    echo "LAB_PLAIN_$i=$(lab_plain_port "$i")"
    echo "LAB_API_$i=$(lab_api_url "$i")"
  done
  echo "LAB_TLS_PORT=$LAB_TLS_PORT"
  echo "LAB_TLS_CERT=$tls_dir/self-signed.crt"
  echo "LAB_CA_CERT=$LAB_DIR/ca.crt"
  echo "LAB_DNS_PORT=$LAB_DNS_PORT"
  echo "LAB_SRV_NAME=_xmpp-client._tcp.$LAB_DOMAIN"
  echo "LAB_COOKIE_FILE=$LAB_DIR/cookie"
  echo "LAB_CONFIG=$LAB_DIR/xtransfer.yaml"
  echo "LAB_COMPANION=$LAB_COMPANION"
  echo "LAB_FORWARD_LATE=$LAB_FORWARD_LATE"
} >"$LAB_DIR/lab.env"
lab_record_pids # appends LAB_PIDS, LAB_PID_<i>, LAB_DNS_PID; writes $LAB_DIR/pids
lab_dns_start
lab_untrusted_start

{
  echo "domain: $LAB_DOMAIN"
  echo "admin:"
  echo "  jid: $LAB_ADMIN_JID"
  echo "  service: [xmpp://127.0.0.1:$(lab_c2s_port 1), xmpp://127.0.0.1:$(lab_c2s_port 2), xmpp://127.0.0.1:$(lab_c2s_port 3)]"
  echo "  passwordFile: $LAB_ADMIN_PASSWORD_FILE"
  echo "directory:"
  echo "  type: ejabberd"
  echo "  api: $(lab_api_url 1)"
  echo "nodes:"
  for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
    echo "  node-$i: { address: 127.0.0.1:$(lab_c2s_port "$i"), server: $(lab_node_name "$i") }"
  done
} >"$LAB_DIR/xtransfer.yaml"

# --- summary ------------------------------------------------------------------
printf '\n%-7s %-20s %-16s %-30s %-8s %s\n' NODE ERLANG-NODE C2S API BEAM-PID OPEN-FILES
for ((i = 1; i <= LAB_NODE_COUNT; i++)); do
  pid=$(lab_node_pid "$i") || lab_die "node $i is not running at the end of start"
  limits=$(lab_nofile_limit "$pid")
  soft=${limits#soft=}
  soft=${soft%% *}
  hard=${limits#*hard=}
  [[ $soft == "$hard" && $soft != 1024 ]] || lab_die "node $i (PID $pid): open-files limit not raised: $limits"
  printf '%-7s %-20s %-16s %-30s %-8s %s\n' "node-$i" "$(lab_node_name "$i")" \
    "127.0.0.1:$(lab_c2s_port "$i")" "$(lab_api_url "$i")" "$pid" "$limits"
done
printf 'c2s listeners require STARTTLS with a certificate of the lab CA %s (NODE_EXTRA_CA_CERTS=%s)\n' "$LAB_DIR/ca.crt" "$LAB_DIR/ca.crt"
printf '%-7s plain c2s (no TLS, for the login floor): %s\n' plain "$(for ((i = 1; i <= LAB_NODE_COUNT; i++)); do printf '127.0.0.1:%s ' "$(lab_plain_port "$i")"; done)"
printf '%-7s %-20s %-16s (STARTTLS, then a self-signed cert: must be refused; untrusted-tls.ts)\n' tls - "127.0.0.1:$LAB_TLS_PORT"
printf '%-7s DNS SRV _xmpp-client._tcp.%s on 127.0.0.1:%s (test/lab/dns.sh remove|add N)\n' dns "$LAB_DOMAIN" "$LAB_DNS_PORT"
printf '\nusers: %s registered (user%04d..user%04d, password %s) in %s s; admin %s (password in %s)\n' \
  "$LAB_USERS" 1 "$LAB_USERS" "$LAB_USER_PASSWORD" "$reg_time" "$LAB_ADMIN_JID" "$LAB_ADMIN_PASSWORD_FILE"
printf 'files: %s/lab.env %s/xtransfer.yaml %s/pids; stop with test/lab/stop.sh [--wipe]\n' "$LAB_DIR" "$LAB_DIR" "$LAB_DIR"
printf 'lab started in %s s\n' "$(xt_elapsed "$t0")"
