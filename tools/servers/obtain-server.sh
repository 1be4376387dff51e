#!/usr/bin/env bash
# Obtains a newer Redis-compatible server for the server matrix (npm run test:servers): builds it ONCE from
# the upstream source tarball of a Debian source package (Debian 13 "trixie" by default) into a cache
# directory outside the repository, and reuses that build afterwards.
#
#   tools/servers/obtain-server.sh redis|valkey
#
# Prints the path of the server binary (its redis-cli/valkey-cli is beside it) as the last line of stdout.
# Exit status: 0 found or built; 3 not cached and the archive cannot be reached (the caller skips that
# server); 1 anything else (a failed build, a checksum mismatch).
#
# The archive is the machine's own Debian mirror (read from /etc/apt/sources.list*), queried through a
# private apt configuration in a temporary directory: the machine's apt setup is neither read for writing
# nor changed. The downloaded tarball is checked against the SHA-256 of the signed Sources index.
#
# Environment:
#   TM_SERVERS_CACHE     cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-task-manager/servers)
#   TM_SERVERS_SUITE     Debian suite of the source package (default trixie)
#   TM_SERVERS_NO_BUILD  1: use the cache only, never download nor build (exit 3 on a miss)
#
# A build loads every core for about 1.5 minutes: on a shared machine, run it under the machine's heavy-run
# lock. Two builds of the same server at once wait for each other (a lock in the cache directory).
set -euo pipefail

name=${1:-}
case "$name" in
  redis) binary=redis-server; cli=redis-cli ;;
  valkey) binary=valkey-server; cli=valkey-cli ;;
  *)
    echo "usage: $0 redis|valkey" >&2
    exit 1
    ;;
esac

cache=${TM_SERVERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-task-manager/servers}
suite=${TM_SERVERS_SUITE:-trixie}
log() { echo "servers: $*" >&2; }

# The newest complete build of $name in the cache, if any.
cached() {
  local dir
  for dir in $(ls -d "$cache/$name"-*/ 2>/dev/null | sort -rV); do
    if [ -f "$dir/.complete" ] && [ -x "$dir/bin/$binary" ]; then
      echo "${dir%/}/bin/$binary"
      return 0
    fi
  done
  return 1
}

if found=$(cached); then
  echo "$found"
  exit 0
fi
if [ "${TM_SERVERS_NO_BUILD:-}" = 1 ]; then
  log "$name is not in $cache and TM_SERVERS_NO_BUILD=1: skipped"
  exit 3
fi

for tool in make cc tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "$tool not found: cannot build $name (apt-get install -y build-essential); skipped"
    exit 3
  fi
done

mkdir -p "$cache"
exec 9>"$cache/.$name.lock"
flock 9
# Another process may have built it while this one waited for the lock.
if found=$(cached); then
  echo "$found"
  exit 0
fi

# --- The machine's Debian mirrors ----------------------------------------------------------------------
# URIs of deb822 *.sources and one-line *.list entries; the main archive ends in /debian, security updates
# in /debian-security.
mirror_uris() {
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] && awk '$1 ~ /^deb(-src)?$/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$file"
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] && awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$file"
  done
}
uris=$(mirror_uris | sed 's:/*$::' | awk '!seen[$0]++')
main_uri=$(grep -E '/debian$' <<<"$uris" | head -1 || true)
security_uri=$(grep -E '/debian-security$' <<<"$uris" | head -1 || true)
if [ -z "$main_uri" ]; then
  log "no Debian mirror in /etc/apt/sources.list*: cannot fetch the $name source package; skipped"
  exit 3
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ntm-servers.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/dl"
{
  echo "deb-src $main_uri $suite main"
  [ -z "$security_uri" ] || echo "deb-src $security_uri $suite-security main"
} >"$work/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root
  -o Acquire::Retries=1 -o Acquire::http::Timeout=20
)

log "looking up the $name source package of Debian $suite on $main_uri"
timeout 180 apt-get -qq "${apt_opts[@]}" update >"$work/update.log" 2>&1 || true
# A suite whose index could not be fetched leaves no Sources file (apt-get update may still exit 0).
if ! ls "$work/lists" | grep -q "_dists_${suite}_main_source_Sources"; then
  log "the Debian archive cannot be reached or has no $suite ($(grep -m1 -E '^(E:|Err:|W:)' "$work/update.log" || echo 'no index')): $name skipped"
  exit 3
fi

# The highest version across the suite and its security updates, and its upstream tarball.
showsrc=$(apt-cache "${apt_opts[@]}" showsrc "$name" 2>/dev/null || true)
version=$(awk '/^Version:/ { print $2 }' <<<"$showsrc" | sort -V | tail -1)
if [ -z "$version" ]; then
  log "no $name source package in Debian $suite: skipped"
  exit 3
fi
# Only that version's stanza, then its upstream tarball (".orig.tar.*") and SHA-256.
stanza=$(awk -v v="$version" 'BEGIN { RS = "" } { n = split($0, line, "\n"); for (i = 1; i <= n; i++) if (line[i] == "Version: " v) { print; exit } }' <<<"$showsrc")
read -r sha256 _ tarball < <(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on && $3 ~ /\.orig\.tar\./ { print $1, $2, $3 }' <<<"$stanza")
if [ -z "${tarball:-}" ]; then
  log "the $name $version source package has no upstream tarball: skipped"
  exit 3
fi
upstream=${version#*:}
upstream=${upstream%-*}
upstream=${upstream%+dfsg*}

# apt-get fetches every file of the package and checks each against the index; the mirror may miss the
# Debian-specific ones (only the upstream tarball is used here), so only the tarball's presence counts.
log "downloading $tarball"
(cd "$work/dl" && timeout 600 apt-get -qq "${apt_opts[@]}" source --download-only "$name=$version" >"$work/source.log" 2>&1) || true
if [ ! -s "$work/dl/$tarball" ]; then
  log "could not download $tarball ($(grep -m1 -E '^(E:|Err:)' "$work/source.log" || echo 'no reason given')): $name skipped"
  exit 3
fi
if [ "$(sha256sum "$work/dl/$tarball" | cut -d' ' -f1)" != "$sha256" ]; then
  log "$tarball does not match the SHA-256 of the signed index: refusing to build it"
  exit 1
fi

# --- Build -----------------------------------------------------------------------------------------------
tar -xf "$work/dl/$tarball" -C "$work"
src=$(find "$work" -mindepth 2 -maxdepth 2 -name Makefile -path "*/$name-*" -printf '%h\n' | head -1)
[ -n "$src" ] || { log "unexpected layout of $tarball"; exit 1; }
log "building $name $upstream in $src (make MALLOC=libc BUILD_TLS=no; about 1.5 minutes on 2 cores)"
started=$(date +%s)
if ! make -C "$src" -j"$(nproc)" MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no >"$work/build.log" 2>&1; then
  tail -30 "$work/build.log" >&2
  log "building $name $upstream failed"
  exit 1
fi

target="$cache/$name-$upstream"
rm -rf "$target"
mkdir -p "$target/bin"
cp "$src/src/$binary" "$src/src/$cli" "$target/bin/"
"$target/bin/$binary" --version >"$target/version.txt"
printf 'source package %s %s (Debian %s), %s\nbuilt %s in %ss: make MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no\n' \
  "$name" "$version" "$suite" "$tarball" "$(date -u +%FT%TZ)" "$(($(date +%s) - started))" >"$target/.complete"
log "built $(cat "$target/version.txt") into $target in $(($(date +%s) - started)) s"
echo "$target/bin/$binary"
