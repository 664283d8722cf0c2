#!/usr/bin/env bash
# Runs the layout printers built by gcc, clang, g++ and clang++; fails when
# their outputs differ from each other or from the golden file.
# Usage: check_layout.sh GOLDEN EXE...
set -euo pipefail
golden=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
first=""
for exe in "$@"; do
  out="$tmp/$(basename "$exe").txt"
  "$exe" >"$out"
  if [[ -z "$first" ]]; then first=$out; continue; fi
  if ! diff -u "$first" "$out"; then
    echo "ABI layout differs between $(basename "$first" .txt) and $(basename "$exe")" >&2
    exit 1
  fi
done
if ! diff -u "$golden" "$first"; then
  echo "ABI layout changed against $golden: within a major only appended fields/structs are allowed;" >&2
  echo "if this change is an append, update the golden with: $1 > $golden" >&2
  exit 1
fi
echo "layout identical across $# compilers and matches the golden ($(wc -l <"$first") lines)"
