#!/usr/bin/env bash
# abi.h keeps its own promise: every field and slot of every struct carries the
# minor that added it, either on its own line (`/* 1.0 */`, `/* 1.1: ... */`)
# or from the comment opening with the minor that precedes it (which covers
# the members after it up to the next comment), as the VERSIONING notes say.
set -euo pipefail
awk '
  /^(typedef )?struct dbr_[a-z0-9_]+ \{/ { body = 1; depth = 1; marked = 0; decl = 0; name = $0; next }
  !body { next }
  {
    line = $0
    opens = gsub(/\{/, "{", line); closes = gsub(/\}/, "}", line)
    if (depth == 1 && !decl && $0 ~ /^[ \t]*\/\*/) { marked = ($0 ~ /^[ \t]*\/\* 1\.[0-9]+[ :,*]/); incomment = ($0 !~ /\*\//); next }
    if (incomment) { if ($0 ~ /\*\//) incomment = 0; next }
    if (depth == 1 && !decl && $0 !~ /^[ \t]*\}/) {
      if ($0 !~ /\/\* 1\.[0-9]+[ :,*]/ && !marked) { printf "abi.h:%d: no minor mark: %s\n", NR, $0; bad = 1 }
      decl = 1
    }
    depth += opens - closes
    if (depth == 1 && $0 ~ /;/) decl = 0
    if (depth <= 0) body = 0
    if (match($0, /\/\*/) && substr($0, RSTART) !~ /\*\//) incomment = 1
  }
  END { exit bad }' "$1"
