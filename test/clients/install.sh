#!/usr/bin/env bash
# Installs what the third-party client harnesses need, from Debian only (never pip), and
# builds the libstrophe client into test/clients/build/ (gitignored). Idempotent: apt-get
# runs only when a package is missing, the C client is rebuilt only when its source is newer.
# Non-interactive; run as root on Debian bookworm.
#   test/clients/install.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# python3-aiodns: slixmpp's resolver (the one the harness points at the lab's DNS server);
# python3-dnspython: aioxmpp's. libc6-dev: res_query (libresolv) for libstrophe's SRV lookups.
packages=(python3 python3-slixmpp python3-aiodns python3-aioxmpp python3-dnspython libstrophe-dev gcc libc6-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { echo "clients: missing ${missing[*]} and not root: install them first" >&2; exit 1; }
  echo "[clients] installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The harnesses run Debian's python3 (/usr/bin/python3), not whatever python3 is first on PATH.
/usr/bin/python3 -c 'import slixmpp, aiodns, aioxmpp, dns.resolver' ||
  { echo "clients: Debian's python3 cannot import slixmpp/aiodns/aioxmpp/dnspython" >&2; exit 1; }

mkdir -p "$here/build"
binary="$here/build/strophe-client"
if [[ ! -x $binary || $here/strophe-client.c -nt $binary ]]; then
  # shellcheck disable=SC2046 # pkg-config's flags are meant to split
  gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$binary.tmp" "$here/strophe-client.c" \
    $(pkg-config --cflags --libs libstrophe) -lresolv
  mv "$binary.tmp" "$binary"
  echo "[clients] built $binary against libstrophe $(pkg-config --modversion libstrophe)" >&2
fi
