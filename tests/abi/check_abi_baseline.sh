#!/usr/bin/env bash
# The ABI gate: the layout of every 1.0 type and the value of every constant,
# as built from the current abi.h, must match each released baseline
# (abi-1.<minor>.xml, made by `abidw` from the frozen header).  Appended
# fields, slots and constants pass; anything else fails.
#
#   check_abi_baseline.sh CC SRC_DIR INCLUDE_DIR WORK_DIR BASELINE.xml:FROZEN_INCLUDE_DIR...
#   check_abi_baseline.sh --write CC SRC_DIR FROZEN_INCLUDE_DIR WORK_DIR OUT.xml
set -euo pipefail
write=0
if [[ $1 == --write ]]; then write=1; shift; fi
cc=$1 src=$2 inc=$3 work=$4; shift 4
mkdir -p "$work"

# abidw never sees macros, so each object-like DBR_ constant becomes an
# enumerator whose value abidiff compares; constants added later are enumerator
# insertions, which abidiff files as harmless.  DBR_ABI_MINOR grows by design.
abi_so() { # include_dir name -> prints the path of a .so built from it
  local dir=$work/$2
  mkdir -p "$dir"
  "$cc" -std=c99 -dM -E -x c -I"$1" - <<<'#include <dbridge/abi.h>' |
    awk '$1 == "#define" && $2 ~ /^DBR_[A-Z0-9_]+$/ && $2 !~ /^DBR_(EXPORT|ENTRY_SYMBOL|ABI_MINOR)$/ {
           print "  dbr_abi_const_" $2 " = " $2 "," }' | sort >"$dir/list"
  { echo "enum dbr_abi_constant {"; cat "$dir/list"; echo "  dbr_abi_const_end_ = 0"; echo "};"; } \
    >"$dir/abi_constants.h"
  "$cc" -std=c99 -g -O0 -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror -fdebug-prefix-map="$dir"=generated \
    -I"$1" -I"$dir" "$src/abi_types.c" -o "$dir/libabi_types.so"
  echo "$dir/libabi_types.so"
}
abi_xml() { abidw --no-corpus-path --no-comp-dir-path --drop-private-types "$(abi_so "$1" "$2")"; }

if ((write)); then abi_xml "$inc" frozen >"$1"; exit 0; fi
# abidiff flags a struct that only grew at the end as a change (exit bit 4),
# and its suppression `has_data_member_inserted_at = end` hides every other
# change to such a struct as well (a slot retyped next to an appended one), so
# it is not used.  Instead the report must consist only of lines the
# whitelist below knows, and every insertion must lie at or past the old size:
# anything abidiff says that is not plain growth at the end fails the gate.
append_only() { # baseline current.xml
  local out rc=0
  out=$(abidiff --no-added-syms "$1" "$2") || rc=$?
  (( rc & ~4 )) && { echo "$out"; echo "abidiff exit $rc (error or incompatible change)"; return 1; }
  awk '
    /^(Functions|Variables) changes summary:/ || /^$/ { next }
    /^[0-9]+ functions? with some indirect sub-type change:$/ || /^  \[C\] .function / { next }
    /^ +parameter [0-9]+ of type .* has sub-type changes:$/ { next }
    /^ +in (pointed to|unqualified underlying) type .*:$/ { next }
    /^ +underlying type .struct dbr_[a-z0-9_]+. at .* changed:$/ { next }
    /^ +type size changed from [0-9]+ to [0-9]+ \(in bits\)$/ {
      old = $5; if ($7 + 0 > old + 0) next }
    /^ +[0-9]+ data member insertions?:$/ { next }
    /^ +.* at offset [0-9]+ \(in bits\) at / {
      for (i = 1; i < NF; i++) if ($i == "offset") off = $(i + 1)
      if (off + 0 >= old + 0) next }
    /^ +no data member changes? \([0-9]+ filtered\);$/ { next }
    { print "not an append: " $0; bad = 1 }
    END { exit bad }' <<<"$out" || { echo "$out"; return 1; }
}

work_xml() { local x=$work/$2.xml; abi_xml "$1" "$2" >"$x"; echo "$x"; }
current=$(work_xml "$inc" current)
status=0
for pair in "$@"; do
  baseline=${pair%%:*} frozen=${pair#*:}
  # The committed baseline still describes its frozen header (same types, same
  # constants): it was not edited by hand and the generator did not drift.
  if ! out=$(abidiff "$baseline" "$(work_xml "$frozen" "$(basename "$baseline" .xml)-frozen")"); then
    echo "$out"; echo "FAIL: $(basename "$baseline") no longer matches $frozen: regenerate it with --write" >&2; status=1
  fi
  if append_only "$baseline" "$current"; then echo "ok: abi.h is append-only against $(basename "$baseline")"
  else echo "FAIL: abi.h changed what $(basename "$baseline") froze" >&2; status=1; fi
done

# The gate must catch what it is for: a header with a field inserted in the
# middle of dbr_rows, and one with a 1.0 constant renumbered.
broken() { # name sed-expression
  mkdir -p "$work/$1/dbridge"
  sed "$2" "$inc/dbridge/abi.h" >"$work/$1/dbridge/abi.h"
  cmp -s "$inc/dbridge/abi.h" "$work/$1/dbridge/abi.h" && { echo "FAIL: $1 copy unchanged" >&2; status=1; return; }
  local x; x=$(work_xml "$work/$1" "$1-lib")
  if append_only "$first_baseline" "$x" >"$work/$1.report"; then
    echo "FAIL: the gate accepted $1 (report: $work/$1.report)" >&2; status=1
  else echo "ok: the gate rejects $1"; fi
}
first_baseline=${1%%:*}
broken inserted_field 's/^\(  uint32_t ncols;.*\)$/  uint32_t inserted_by_gate_test;\n\1/'
broken renumbered_constant 's/^#define DBR_TYPE_ARRAY 15 /#define DBR_TYPE_ARRAY 99 /'
broken retyped_slot_next_to_appended 's/int32_t (\*ping)(dbr_conn\* conn, dbr_error\* err);/int32_t (*ping)(dbr_conn* conn, uint32_t flags, dbr_error* err);/'
exit $status
