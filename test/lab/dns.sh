#!/usr/bin/env bash
# The lab's DNS server (test/lab/dns-server.ts) on 127.0.0.1:LAB_DNS_PORT: SRV records
# _xmpp-client._tcp.<domain> for every node's TLS c2s listener that is "in".
#   test/lab/dns.sh remove N    take node N out of the SRV answers (before a drain)
#   test/lab/dns.sh add N       put it back
#   test/lab/dns.sh status      the records file (INDEX PORT in|out) and the server's PID
#   test/lab/dns.sh start|stop  (start.sh and stop.sh do this)
# The server re-reads $LAB_DIR/dns/srv.txt on every query: a change applies to the next answer.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lab/lib.sh
. "$here/lib.sh"

usage() { lab_die "usage: dns.sh start|stop|status|remove N|add N"; }
(($# >= 1)) || usage
lab_settings
[[ -e $LAB_DIR/.xtransfer-lab ]] || lab_die "no lab in $LAB_DIR (run test/lab/start.sh first)"

set_state() {
  local n=$1 state=$2 file
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= LAB_NODE_COUNT)) || usage
  file=$(lab_dns_records)
  [[ -f $file ]] || lab_die "no $file (is the lab's DNS set up?)"
  # Write a new file and rename it: the server never reads half a file.
  awk -v n="$n" -v s="$state" '$1 == n { $3 = s } { print }' "$file" >"$file.tmp"
  mv "$file.tmp" "$file"
  lab_log "node $n is $state of the SRV answers ($(awk '$3 == "in" { printf "%s ", $1 }' "$file")in service)"
}

case $1 in
  start) lab_dns_start ;;
  stop) lab_dns_stop ;;
  status)
    cat "$(lab_dns_records)"
    if pid=$(lab_dns_pid); then echo "server PID $pid on 127.0.0.1:$(<"$LAB_DIR/dns/port")"; else echo "server not running"; fi
    ;;
  remove) (($# == 2)) || usage; set_state "$2" out ;;
  add) (($# == 2)) || usage; set_state "$2" in ;;
  *) usage ;;
esac
