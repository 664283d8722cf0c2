#!/usr/bin/env bash
# dbridge_add_plugin() runs the loader's checks after each link: the example
# series driver builds with its own plugin.toml, and fails to build with a
# plugin.toml that claims a capability it lacks (the library is removed, so
# the next build fails too). Then a plugin whose manifest needs ABI minor
# DBR_ABI_MINOR+1 is refused by the core, naming both versions.
# Usage: check_build_check.sh SOURCE_DIR DBRIDGE_CLI
set -euo pipefail
src=$1; cli=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "$*" >&2; exit 1; }
cp "$src/examples/third_party_driver/plugin.toml" "$work/plugin.toml"
cmake -S "$src/tests/packaging/build_check" -B "$work/build" -DDBRIDGE_SOURCE_DIR="$src" \
  -DMANIFEST="$work/plugin.toml" -DDBRIDGE_CLI="$cli" >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "configure failed"; }
lib="$work/build/plugins/series/libdbridge_series.so"

cmake --build "$work/build" >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "the matching plugin did not build"; }
[[ -f "$lib" ]] || fail "no $lib after a good build"

sed -i 's/^capabilities = \["sql"\]/capabilities = ["sql", "introspect"]/' "$work/plugin.toml"
grep -q '"introspect"' "$work/plugin.toml" || fail "the fixture edit did not apply"
for attempt in first second; do
  if cmake --build "$work/build" >"$work/log" 2>&1; then
    cat "$work/log" >&2; fail "$attempt build with a mismatched plugin.toml succeeded"
  fi
  grep -q 'capabilities: library says \[sql\], manifest plugin.toml says \[sql, introspect\]' "$work/log" ||
    { cat "$work/log" >&2; fail "$attempt failed build does not name the capability mismatch"; }
  [[ ! -e "$lib" ]] || fail "the mismatched library was left in place after the $attempt build"
done

# Matching again, then a manifest needing the next ABI minor: refused at load.
cp "$src/examples/third_party_driver/plugin.toml" "$work/plugin.toml"
cmake --build "$work/build" >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "the restored plugin did not build"; }
minor=$(sed -n 's/^#define DBR_ABI_MINOR \([0-9]*\).*/\1/p' "$src/abi/include/dbridge/abi.h")
next=$((minor + 1))
sed -i "s/^min_minor = 0/min_minor = $next/" "$work/build/plugins/series/plugin.toml"
if DBRIDGE_PLUGIN_PATH="$work/build/plugins" "$cli" query series:// 'SERIES 1 2' >"$work/log" 2>&1; then
  fail "a plugin needing ABI 1.$next was used by a core of ABI 1.$minor"
fi
grep -q "needs plugin ABI 1.$next or newer, but this dbridge .* provides ABI 1.$minor" "$work/log" ||
  { cat "$work/log" >&2; fail "the refusal does not name ABI 1.$next and 1.$minor"; }
echo "ok: build-time check and ABI minor refusal"
