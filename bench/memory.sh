#!/usr/bin/env bash
# Peak memory (maximum resident set size, from /usr/bin/time -v) of
# `strata import` and `strata export` for three shapes of one input size,
# with its ratio to the input's size (issue 11's goal: at most 3x):
#   jsonl   many small documents in one JSON Lines file (strata_gen)
#   folder  the same documents as a folder of <id>.json files (strata_gen)
#   onedoc  one document of about 1M keys in a folder (a 100 MB input has
#           1M keys of ~100-byte strings)
#
#   bench/memory.sh [MB ...]              # default: 100
#   STRATA=build/cli/strata GEN=build/bench/strata_gen bench/memory.sh 20 100
#
# Prints a Markdown table; nothing here asserts a figure (the bound is
# checked by tests/cli/t0401-import-memory.sh on a smaller input).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
strata=${STRATA:-$build/cli/strata}
gen=${GEN:-$build/bench/strata_gen}
workdir=${WORKDIR:-${TMPDIR:-/tmp}/strata-memory.$$}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100)
[ -x /usr/bin/time ] || { echo "memory.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$workdir"
trap 'rm -rf "$workdir"' EXIT

# max RSS in KiB of a command, run in $1
peak() {
  local dir=$1
  shift
  (cd "$dir" && /usr/bin/time -f %M -o "$workdir/rss" "$@" >/dev/null 2>"$workdir/err") ||
    { cat "$workdir/err" >&2; echo "memory.sh: failed: $*" >&2; exit 1; }
  cat "$workdir/rss"
}

echo "| shape | input MiB | import peak MiB | ratio | export peak MiB | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for mb in "${sizes[@]}"; do
  docs=$((mb * 1000))  # strata_gen --size 1000: about 1 KiB a line
  "$gen" --count "$docs" --size 1000 --seed 1 --format jsonl --out "$workdir/in.jsonl"
  "$gen" --count "$docs" --size 1000 --seed 1 --format dir --out "$workdir/in.dir"
  mkdir -p "$workdir/in.one"
  # ~106 bytes a member: "keyNNNNNNN":"vNNNNNNN-" x 10
  keys=$((mb * 10000))
  python3 - "$keys" "$workdir/in.one/big.json" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("{")
    f.write(",".join('"key%07d":"%s"' % (i, ("v%07d-" % i) * 10) for i in range(n)))
    f.write("}")
EOF
  for shape in jsonl folder onedoc; do
    case $shape in
      jsonl) input=$workdir/in.jsonl ;;
      folder) input=$workdir/in.dir ;;
      onedoc) input=$workdir/in.one ;;
    esac
    bytes=$(du -sb "$input" | cut -f1)
    repo=$workdir/repo
    rm -rf "$repo" "$workdir/out"
    mkdir -p "$repo"
    (cd "$repo" && "$strata" init >/dev/null)
    imp=$(peak "$repo" "$strata" import -m "memory.sh" "$input")
    exp=$(peak "$repo" "$strata" export "$workdir/out")
    awk -v s="$shape" -v b="$bytes" -v i="$imp" -v e="$exp" 'BEGIN {
      mib = b / 1048576
      printf "| %s | %.1f | %.0f | %.2fx | %.0f | %.2fx |\n", s, mib, i / 1024, i * 1024 / b, e / 1024, e * 1024 / b
    }'
  done
  rm -rf "$workdir/in.jsonl" "$workdir/in.dir" "$workdir/in.one"
done
