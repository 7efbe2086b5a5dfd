#!/bin/sh -e
# usage: write-lines.sh FILE LINE...
# Writes each argument as one line of FILE (creating its directory); an argument with spaces
# stays one line, so callers can pass sentences.
file="$1"
shift
mkdir -p "$(dirname "$file")"
: > "$file"
for line in "$@"; do
  printf '%s\n' "$line" >> "$file"
done
echo "wrote $# line(s) to $file"
