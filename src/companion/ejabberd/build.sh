#!/usr/bin/env bash
# Compiles mod_xtransfer.beam into OUTDIR with erlc, against the include folders
# that Debian's ejabberd and erlang-p1-xmpp packages ship (found with dpkg -L),
# the way Debian's ejabberd-mod-* packages are built. It writes only into OUTDIR.
#   src/companion/ejabberd/build.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  printf 'build.sh: %s\n' "$*" >&2
  exit 1
}

(($# == 1)) || die "usage: build.sh OUTDIR"
out=$1
[[ -n $out ]] || die "OUTDIR is empty"

command -v erlc >/dev/null 2>&1 || die "erlc not found: install Debian's erlang-base (apt-get install erlang-base; ejabberd depends on it)"
command -v dpkg >/dev/null 2>&1 || die "dpkg not found: this script reads the include folders of Debian's ejabberd and erlang-p1-xmpp packages"

# The folder of PACKAGE's files that holds FILE (e.g. the include dir with ejabberd_commands.hrl).
package_dir_of() {
  local package=$1 file=$2 files path
  # Listed first, then searched: grep -m1 in a pipe would end dpkg with SIGPIPE (pipefail).
  files=$(dpkg -L "$package" 2>/dev/null) || die "package $package is not installed (apt-get install $package)"
  path=$(grep -m1 "/include/$file\$" <<<"$files") || die "package $package has no include/$file"
  dirname "$path"
}
ejabberd_include=$(package_dir_of ejabberd ejabberd_commands.hrl)
xmpp_include=$(package_dir_of erlang-p1-xmpp xmpp.hrl)
ejabberd_ebin=$(dirname "$ejabberd_include")/ebin
[[ -d $ejabberd_ebin ]] || die "no $ejabberd_ebin (Debian's ejabberd layout changed?)"

mkdir -p -- "$out"
# -pa: ejabberd's own beams, for the behaviour (gen_mod) and parse-time checks.
erlc -Werror +debug_info \
  -I "$ejabberd_include" -I "$xmpp_include" -pa "$ejabberd_ebin" \
  -o "$out" "$here/src/mod_xtransfer.erl"
printf '%s\n' "$out/mod_xtransfer.beam"
