#!/usr/bin/env bash
# Builds the Debian packages with CPack (one per component), checks their
# names, contents and Depends with dpkg-deb, then unpacks them all into a
# scratch root with dpkg -x and runs the CLI from there: the relocatable core
# finds the plugins beside itself. Usage: check_debian.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "debian packages: $*" >&2; exit 1; }
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/debs" >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "cpack failed"; }

declare -A deb
for f in "$work"/debs/*.deb; do deb[$(dpkg-deb -f "$f" Package)]=$f; done
for p in "${!deb[@]}"; do echo "$p: $(dpkg-deb -f "${deb[$p]}" Depends)"; done
field() { dpkg-deb -f "${deb[$1]}" "$2"; }
# Captured first: grep -q closing a pipe early would fail the pipeline (pipefail).
paths() { dpkg-deb -c "${deb[$1]}" | awk '{print $6}'; }
has_file() { local p; p=$(paths "$1"); grep -qx "$2" <<<"$p" || fail "$1 does not hold $2"; }
lacks_file() { local p; p=$(paths "$1"); ! grep -q "$2" <<<"$p" || fail "$1 holds $2"; }
deps() { field "$1" Depends | sed 's/, */\n/g'; }
# depends_on PKG NAME: NAME (any version) is among PKG's Depends; with a full
# entry such as "libdbridge1 (= 1.0.0)" that exact entry is.
depends_on() {
  local d; d=$(deps "$1")
  if [[ "$2" == *" "* ]]; then grep -qFx "$2" <<<"$d"; else awk '{print $1}' <<<"$d" | grep -qFx "$2"; fi ||
    fail "$1 does not depend on $2 (Depends: $(field "$1" Depends))"
}
not_depends_on() {
  local d; d=$(deps "$1" | awk '{print $1}')
  ! grep -qFx "$2" <<<"$d" || fail "$1 must not depend on $2 (Depends: $(field "$1" Depends))"
}

version=$(field libdbridge1 Version)
for p in libdbridge1 libdbridge-dev dbridge dbridge-plugin-sqlite dbridge-plugin-postgres dbridge-plugin-mysql \
         dbridge-plugin-redis dbridge-plugin-pool-fifo dbridge-plugin-pool-lifo; do
  [[ -n "${deb[$p]:-}" ]] || fail "no package $p"
done

has_file libdbridge1 ./usr/lib/libdbridge.so.1
lacks_file libdbridge1 '^./usr/include/'
lacks_file libdbridge1 '/dbridge/plugins/'
has_file libdbridge-dev ./usr/lib/libdbridge.so
has_file libdbridge-dev ./usr/include/dbridge/abi.h
has_file libdbridge-dev ./usr/include/dbridge/connection.hpp
has_file libdbridge-dev ./usr/include/dbridge/sdk/driver.hpp
has_file libdbridge-dev ./usr/lib/cmake/dbridge/dbridgeConfig.cmake
has_file libdbridge-dev ./usr/lib/cmake/dbridge/dbridge_plugin.cmake
lacks_file libdbridge-dev 'libdbridge.so.1'
has_file dbridge ./usr/bin/dbridge
lacks_file dbridge '^./usr/lib/'
depends_on libdbridge-dev "libdbridge1 (= $version)"
depends_on dbridge "libdbridge1 (= $version)"
depends_on libdbridge1 libc6

# Each plugin package: its folder only, and exactly the client library it links.
declare -A client=([sqlite]=libsqlite3-0 [postgres]=libpq5 [mysql]=libmariadb3 [redis]=libhiredis0.14 [pool-fifo]= [pool-lifo]=)
for id in "${!client[@]}"; do
  p=dbridge-plugin-$id
  has_file "$p" "./usr/lib/dbridge/plugins/$id/plugin.toml"
  has_file "$p" "./usr/lib/dbridge/plugins/$id/libdbridge_$id.so"
  lacks_file "$p" '^./usr/include/'
  depends_on "$p" "libdbridge1 (= $version)"
  for other in libsqlite3-0 libpq5 libmariadb3 libhiredis0.14; do
    if [[ "$other" == "${client[$id]}" ]]; then depends_on "$p" "$other"; else not_depends_on "$p" "$other"; fi
  done
  not_depends_on libdbridge1 "${client[$id]:-none}"
done

# Unpacked into a scratch root, the tree works from there.
for f in "${deb[@]}"; do dpkg -x "$f" "$work/root"; done
unset DBRIDGE_PLUGIN_PATH
export HOME="$work/home" XDG_CONFIG_HOME="$work/xdg-config" XDG_DATA_HOME="$work/xdg-data"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
"$work/root/usr/bin/dbridge" plugins --format json >"$work/plugins.json" || fail "dbridge plugins failed in the scratch root"
/usr/bin/python3 - "$work/plugins.json" "$work/root/usr/lib/dbridge/plugins/" <<'PY' || fail "plugins in the scratch root: $(cat "$work/plugins.json")"
import json, sys
found = {p["id"]: p for p in json.load(open(sys.argv[1]))["plugins"]}
for pid in ("sqlite", "postgres", "mysql", "redis"):
    assert pid in found and found[pid]["manifest"].startswith(sys.argv[2]), pid
    assert found[pid]["scope"] == "system", found[pid]
PY
"$work/root/usr/bin/dbridge" query --format json sqlite://:memory: 'SELECT 6 * 7 AS answer' >"$work/out.json" ||
  fail "sqlite query from the scratch root failed"
grep -q '"answer": *42' "$work/out.json" || fail "sqlite query gave $(cat "$work/out.json")"
echo "debian packages: ok (${#deb[@]} packages)"
