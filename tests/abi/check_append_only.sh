#!/usr/bin/env bash
# Every field offset printed by the layout printer built against an older
# header must be printed identically by the one built against the current
# header (sizes of grown structs may differ; offsets of old fields may not).
# Usage: check_append_only.sh OLD_EXE NEW_EXE
set -euo pipefail
old=$("$1" | grep '^  ')
new=$("$2")
missing=$(comm -23 <(sort <<<"$old") <(grep '^  ' <<<"$new" | sort))
if [[ -n "$missing" ]]; then
  echo "fields of the older ABI moved or vanished:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "all $(wc -l <<<"$old") fields of the older ABI keep their offsets"
