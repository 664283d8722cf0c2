#!/usr/bin/env bash
# Installs dbridge into a temporary prefix, builds the example third-party
# driver out of tree with clang++ against it (find_package + dbridge_add_plugin),
# builds a consumer with g++, and runs both through the installed g++-built
# core: proves the CMake package, plugin installation, and that a clang plugin
# loads into a g++ core, and runs the installed conformance suite on it; builds
# the projects `dbridge plugin new` writes and the sqlite plugin with clang++
# too, and runs their own tests. Then moves the whole prefix and checks that the CLI,
# a consumer built against the moved prefix and the bundled plugins work from
# the new place with no plugin path set and an empty home, and that a process
# keeps using a plugin whose folder is replaced and removed underneath it.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1; src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
quiet() { "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; echo "failed: $*" >&2; exit 1; }; }

quiet cmake --install "$build" --prefix "$work/prefix"
for f in include/dbridge/abi.h include/dbridge/dbridge.h include/dbridge/connection.hpp include/dbridge/sdk/driver.hpp bin/dbridge libexec/dbridge/dbridge-package \
         lib/dbridge/plugins/sqlite/plugin.toml lib/cmake/dbridge/dbridgeConfig.cmake; do
  [[ -e "$work/prefix/$f" ]] || { echo "not installed: $f" >&2; exit 1; }
done

quiet cmake -S "$src/examples/third_party_driver" -B "$work/plugin" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/plugin"
# dbridge_add_plugin gives third parties the `packages` target (the installed `dbridge plugin pack`).
quiet cmake --build "$work/plugin" --target packages
ls "$work/plugin/dist/"dbridge-series-*.dbrpkg >/dev/null || { echo "the packages target wrote no package" >&2; exit 1; }
# The installed conformance suite, run as sdk/README.md documents it, on the
# series plugin from its build folder (not yet installed: only the plugin path
# can lead to it). series is read-only, so it declares that.
conf_args=(-DDBRIDGE_CONFORMANCE_URL='series://' -DDBRIDGE_CONFORMANCE_PLUGIN_PATH="$work/plugin/plugins"
           -DDBRIDGE_CONFORMANCE_WITHOUT=write,union_all)
quiet cmake -S "$work/prefix/share/dbridge/conformance" -B "$work/conf" -DCMAKE_PREFIX_PATH="$work/prefix" "${conf_args[@]}"
quiet cmake --build "$work/conf"
quiet ctest --test-dir "$work/conf" --output-on-failure
grep -q 'connects_and_pings/third_party.*Passed' "$work/log" || { cat "$work/log" >&2; echo "the conformance run did not test series" >&2; exit 1; }
# The same run as one command, and the summary it ends with.
"$work/conf/dbridge_conformance" --plugin-path "$work/plugin/plugins" --url series:// --without write,union_all \
  >"$work/log" 2>&1 || { cat "$work/log" >&2; echo "dbridge_conformance --plugin-path --url failed" >&2; exit 1; }
grep -q '^| third_party | basics | 2 | 0 | 0 |$' "$work/log" || { cat "$work/log" >&2; echo "no summary, or basics did not pass" >&2; exit 1; }
quiet cmake --install "$work/plugin" --prefix "$work/prefix"
lib="$work/prefix/lib/dbridge/plugins/series/libdbridge_series.so"
readelf -p .comment "$lib" | grep -q clang || { echo "$lib was not built by clang" >&2; exit 1; }
# A plugin folder the author chose (-DDBRIDGE_PLUGIN_INSTALL_DIR) is where the plugin installs.
quiet cmake "$work/plugin" -DDBRIDGE_PLUGIN_INSTALL_DIR=custom/plugins
quiet cmake --install "$work/plugin" --prefix "$work/custom"
[[ -e "$work/custom/custom/plugins/series/plugin.toml" && -e "$work/custom/custom/plugins/series/libdbridge_series.so" ]] ||
  { echo "-DDBRIDGE_PLUGIN_INSTALL_DIR=custom/plugins was ignored: $(cd "$work/custom" && find . -name plugin.toml)" >&2; exit 1; }

# `dbridge plugin new`: driver, pool and mapper projects built
# against the installed SDK (each build loads its plugin: dbridge plugin
# check). The driver passes the installed conformance suite through its own
# ctest, the pool strategy hands out sqlite connections.
# The pool's test program includes dbridge/pool.hpp, whose std::source_location
# Debian 12's clang 14 lacks: that project builds with g++.
for kind in driver pool mapper; do
  compiler=clang++
  [[ $kind == pool ]] && compiler=g++
  quiet "$work/prefix/bin/dbridge" plugin new "gen-$kind" --kind "$kind" -o "$work/gen-$kind"
  quiet cmake -S "$work/gen-$kind" -B "$work/gen-$kind/build" -DCMAKE_CXX_COMPILER=$compiler \
    -DCMAKE_PREFIX_PATH="$work/prefix"
  quiet cmake --build "$work/gen-$kind/build"
done
quiet ctest --test-dir "$work/gen-driver/build" --output-on-failure
grep -q 'connects_and_pings/third_party.*Passed' "$work/log" || { cat "$work/log" >&2; echo "plugin new: the driver's ctest did not run the conformance suite" >&2; exit 1; }
quiet ctest --test-dir "$work/gen-pool/build" --output-on-failure
grep -q 'pool_strategy .*Passed' "$work/log" || { cat "$work/log" >&2; echo "plugin new: the pool's ctest did not pass" >&2; exit 1; }
# --lang c: a plain-C driver, built by clang, passes the installed suite (the
# binary built above, to keep this cheap).
quiet "$work/prefix/bin/dbridge" plugin new gen-c --lang c -o "$work/gen-c"
quiet cmake -S "$work/gen-c" -B "$work/gen-c/build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/gen-c/build" --target dbridge_plugin_gen-c
quiet "$work/conf/dbridge_conformance" --plugin-path "$work/gen-c/build/plugins" --url gen-c://conformance \
  --without write,union_all
grep -q '^| third_party | basics | [1-9][0-9]* | 0 | 0 |$' "$work/log" || { cat "$work/log" >&2; echo "plugin new --lang c: basics did not pass" >&2; exit 1; }
# A first-party plugin built by clang++ from its sources with the installed SDK.
mkdir -p "$work/clang-sqlite"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(clang_sqlite LANGUAGES CXX)\nfind_package(dbridge 1 CONFIG REQUIRED)\nadd_subdirectory("%s/plugins/sqlite" sqlite)\n' \
  "$src" >"$work/clang-sqlite/CMakeLists.txt"
quiet cmake -S "$work/clang-sqlite" -B "$work/clang-sqlite/build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/clang-sqlite/build"
readelf -p .comment "$work/clang-sqlite/build/plugins/sqlite/libdbridge_sqlite.so" | grep -q clang ||
  { echo "the sqlite plugin was not built by clang" >&2; exit 1; }

quiet cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/consumer"
readelf -p .comment "$work/prefix/lib/libdbridge.so" | grep -q 'GCC' || { echo "core not built by g++" >&2; exit 1; }

export DBRIDGE_PLUGIN_PATH="$work/prefix/lib/dbridge/plugins"
"$work/consumer/consumer"
# A C program through pkg-config alone (the C API).
pcdir=$(dirname "$(find "$work/prefix" -name dbridge.pc | head -1)")
[[ -n "$pcdir" ]] || { echo "dbridge.pc not installed" >&2; exit 1; }
pc() { PKG_CONFIG_PATH="$pcdir" pkg-config "$@" dbridge; }
cc -std=c99 -pedantic -Wall -Werror "$src/tests/packaging/consumer_c/main.c" -o "$work/consumer_c" $(pc --cflags --libs) \
  -Wl,-rpath,"$(pc --variable=libdir)" || { echo "the C consumer did not build with pkg-config dbridge" >&2; exit 1; }
"$work/consumer_c" | grep -q 'answered 42' || { echo "the C consumer built with pkg-config failed" >&2; exit 1; }
"$work/prefix/bin/dbridge" query series:// 'SERIES 1 3' --format json | tee "$work/out.json"
grep -q '"square": *9' "$work/out.json" || { echo "dbridge query through the installed CLI gave the wrong rows" >&2; exit 1; }

# ---- relocation: the build was configured for the default prefix; move the
# installed tree and use it with nothing pointing at either place.
unset DBRIDGE_PLUGIN_PATH
mv "$work/prefix" "$work/moved"
moved=$work/moved
export HOME="$work/home" XDG_CONFIG_HOME="$work/xdg-config" XDG_DATA_HOME="$work/xdg-data"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
fail() { echo "relocated install: $*" >&2; exit 1; }

runpath=$(readelf -d "$moved/bin/dbridge" | grep -E 'R(UN)?PATH' || true)
[[ "$runpath" == *'[$ORIGIN/../lib]'* ]] || fail "bin/dbridge has no \$ORIGIN/../lib RUNPATH: $runpath"
[[ "$(ldd "$moved/bin/dbridge" | awk '$1 ~ /^libdbridge/ {print $3}')" == "$moved/"* ]] ||
  fail "bin/dbridge does not use the moved prefix's libdbridge: $(ldd "$moved/bin/dbridge" | grep libdbridge)"

"$moved/bin/dbridge" plugins --format json >"$work/plugins.json" || fail "dbridge plugins failed"
/usr/bin/python3 - "$work/plugins.json" "$moved" <<'PY' || fail "dbridge plugins from the moved prefix: $(cat "$work/plugins.json")"
import json, sys
found = {p["id"]: p for p in json.load(open(sys.argv[1]))["plugins"]}
plugins = sys.argv[2] + "/lib/dbridge/plugins/"
for pid in ("sqlite", "series"):
    p = found.get(pid)
    assert p, f"{pid} not found"
    assert p["manifest"].startswith(plugins), p["manifest"]
    assert p["scope"] == "system" and p["installed_from"] == "bundled", p
PY
"$moved/bin/dbridge" plugins --verify >"$work/log" || { cat "$work/log" >&2; fail "dbridge plugins --verify failed"; }
"$moved/bin/dbridge" query --format json sqlite://:memory: 'SELECT 40 + 2 AS answer' >"$work/out.json"
grep -q '"answer": *42' "$work/out.json" || fail "sqlite query gave $(cat "$work/out.json")"
"$moved/bin/dbridge" doctor sqlite >"$work/log" || { cat "$work/log" >&2; fail "dbridge doctor sqlite failed"; }

quiet cmake -S "$src/tests/packaging/consumer" -B "$work/consumer-moved" -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_PREFIX_PATH="$moved"
quiet cmake --build "$work/consumer-moved"
"$work/consumer-moved/consumer"
# Last: it deletes the moved prefix's sqlite plugin.
"$work/consumer-moved/keeps_loaded" "$moved/lib/dbridge/plugins/sqlite"
