#!/usr/bin/env bash
# Installs dbridge into a temporary prefix, builds the example third-party
# driver out of tree with clang++ against it (find_package + dbridge_add_plugin),
# builds a consumer with g++, and runs both through the installed g++-built
# core: proves the CMake package, plugin installation, and that a clang plugin
# loads into a g++ core. Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1; src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
quiet() { "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; echo "failed: $*" >&2; exit 1; }; }

quiet cmake --install "$build" --prefix "$work/prefix"
for f in include/dbridge/abi.h include/dbridge/connection.hpp include/dbridge/sdk/driver.hpp bin/dbridge libexec/dbridge/dbridge-package \
         lib/dbridge/plugins/sqlite/plugin.toml lib/cmake/dbridge/dbridgeConfig.cmake; do
  [[ -e "$work/prefix/$f" ]] || { echo "not installed: $f" >&2; exit 1; }
done

quiet cmake -S "$src/examples/third_party_driver" -B "$work/plugin" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/plugin"
# dbridge_add_plugin gives third parties the `packages` target (the installed `dbridge plugin pack`).
quiet cmake --build "$work/plugin" --target packages
ls "$work/plugin/dist/"dbridge-series-*.dbrpkg >/dev/null || { echo "the packages target wrote no package" >&2; exit 1; }
quiet cmake --install "$work/plugin" --prefix "$work/prefix"
lib="$work/prefix/lib/dbridge/plugins/series/libdbridge_series.so"
readelf -p .comment "$lib" | grep -q clang || { echo "$lib was not built by clang" >&2; exit 1; }

quiet cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/consumer"
readelf -p .comment "$work/prefix/lib/libdbridge.so" | grep -q 'GCC' || { echo "core not built by g++" >&2; exit 1; }

export DBRIDGE_PLUGIN_PATH="$work/prefix/lib/dbridge/plugins"
"$work/consumer/consumer"
"$work/prefix/bin/dbridge" query series:// 'SERIES 1 3' --format json | tee "$work/out.json"
grep -q '"square": *9' "$work/out.json" || { echo "dbridge query through the installed CLI gave the wrong rows" >&2; exit 1; }
