#!/usr/bin/env bash
# Every plugin library built in this tree must export exactly one dynamic
# symbol: the ABI entry. Anything else leaks implementation into the process.
# Usage: check_exports.sh PLUGIN_DIR
set -euo pipefail
dir=$1
mapfile -t libs < <(find "$dir" -name '*.so' -type f | sort)
if ((${#libs[@]} == 0)); then echo "no plugin libraries under $dir" >&2; exit 1; fi
bad=0
for lib in "${libs[@]}"; do
  syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
  if [[ "$syms" != "dbridge_plugin_entry_v1" ]]; then
    echo "$lib exports more than the entry symbol:" >&2
    echo "$syms" | sed 's/^/  /' >&2
    bad=1
  else
    echo "ok: $lib"
  fi
done
exit $bad
