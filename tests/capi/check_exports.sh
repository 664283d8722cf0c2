#!/usr/bin/env bash
# libdbridge.so exports the C API (dbridge_*) and the C++ API (namespace
# dbridge: functions, typeinfo and vtables of its classes) and nothing else:
# no symbol of the libraries it is built from (nlohmann, toml++, fmt, std::
# instantiations). Prints the count. Usage: check_exports.sh LIBDBRIDGE
set -euo pipefail
lib=$1
symbols=$(nm -D --defined-only -C "$lib" | cut -d' ' -f3-)
allowed='^((typeinfo|typeinfo name|vtable|VTT|guard variable) for )?dbridge::|^dbridge_'
foreign=$(grep -Ev "$allowed" <<<"$symbols" || true)
echo "$(wc -l <<<"$symbols") symbols exported, $(grep -c '^dbridge_' <<<"$symbols") of them the C API"
if [[ -n "$foreign" ]]; then
  echo "exported but not dbridge's API:" >&2
  echo "$foreign" >&2
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
