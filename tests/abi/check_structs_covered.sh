#!/usr/bin/env bash
# Every struct declared in abi.h must be printed by layout.c.
set -euo pipefail
abi=$1; layout=$2
missing=0
for s in $(grep -oE '^(typedef )?struct dbr_[a-z0-9_]+ \{' "$abi" | grep -oE 'dbr_[a-z0-9_]+'); do
  if ! grep -qE "S\((struct )?$s\)" "$layout"; then echo "layout.c does not cover $s" >&2; missing=1; fi
done
exit $missing
