#!/usr/bin/env bash
# libdbridge.so exports the C API (dbridge_*) and the C++ API (namespace
# dbridge::v1: functions, typeinfo and vtables of its classes) and nothing else:
# no symbol of the libraries it is built from (nlohmann, toml++, fmt, std::
# instantiations). Prints the count. Usage: check_exports.sh LIBDBRIDGE
set -euo pipefail
lib=$1
symbols=$(nm -D --defined-only "$lib" | cut -d' ' -f3-)
# By mangled name: namespace dbridge's functions (const members too),
# typeinfo, typeinfo names and vtables; the C API.
allowed='^(_ZNK?7dbridge|_ZT[ISV]N7dbridge|dbridge_)'
foreign=$(grep -Ev "$allowed" <<<"$symbols" | c++filt || true)
echo "$(wc -l <<<"$symbols") symbols exported, $(grep -c '^dbridge_' <<<"$symbols") of them the C API"
if [[ -n "$foreign" ]]; then
  echo "exported but not dbridge's API:" >&2
  echo "$foreign" >&2
  exit 1
fi
# The C++ API lives in the versioned inline namespace dbridge::v1, so a
# future dbridge::v2 can stand beside it: no C++ symbol outside it.
unversioned=$(grep -E '^(_ZNK?7dbridge|_ZT[ISV]N7dbridge)' <<<"$symbols" | grep -Ev '^(_ZNK?7dbridge2v1|_ZT[ISV]N7dbridge2v1)' | c++filt || true)
if [[ -n "$unversioned" ]]; then
  echo "C++ symbols outside namespace dbridge::v1:" >&2
  echo "$unversioned" >&2
  exit 1
fi
# The core's internals (namespace dbridge::v1::detail) are not exported: the
# CLI and the tests that need them link the core's objects. Only what inline
# code of the public headers calls may be (with_retry's backoff in retry.hpp).
internal=$(grep -E '^(_ZNK?7dbridge2v16detail|_ZT[ISV]N7dbridge2v16detail)' <<<"$symbols" | c++filt |
           grep -Ev '^dbridge::v1::detail::(backoff_delay|retry_after)\(' || true)
if [[ -n "$internal" ]]; then
  echo "internals (dbridge::v1::detail) exported:" >&2
  echo "$internal" >&2
  exit 1
fi
if ! grep -qE '^_ZN7dbridge2v110connection' <<<"$symbols"; then
  echo "dbridge::v1::connection's members are not exported" >&2
  exit 1
fi
# Every function dbridge.h declares is exported.
header=$(dirname "$0")/../../core/include/dbridge/dbridge.h
missing=$(grep -oE 'dbridge_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u | grep -vxFf <(grep '^dbridge_' <<<"$symbols") || true)
if [[ -n "$missing" ]]; then
  echo "declared in dbridge.h but not exported:" >&2
  echo "$missing" >&2
  exit 1
fi
