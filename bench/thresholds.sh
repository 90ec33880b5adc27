#!/usr/bin/env bash
# Measures the tree codec's thresholds (objects/tree_codec.h: the flat limit
# of format 3's shard shape, kNibbleShards, and kBlobMaxBytes) by building
# strata_bench against copies of the committed source with other values. The
# repository's own files are never edited: each variant is `git archive HEAD`
# unpacked into a temporary folder.
#
#   bench/thresholds.sh                    # 100k docs of ~1 KB, 100k keys
#   SIZES=10k VARIANTS="128:2048 64:512" bench/thresholds.sh
#
# VARIANTS lists FLAT:BLOB pairs (FLAT: members of a flat node before it is
# sharded 16 ways).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=${SIZES:-100k}
runs=${RUNS:-3}
doc_size=${DOC_SIZE:-1000}
variants=${VARIANTS:-128:2048 64:2048 256:2048 128:1024}
tmp=${WORKDIR:-${TMPDIR:-/tmp}/strata-thresholds.$$}
out=${OUT:-$root/build-bench/results}
mkdir -p "$tmp" "$out"
trap 'rm -rf "$tmp"' EXIT
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

report="$out/thresholds.md"
{
  echo "## Thresholds: flat limit (kNibbleShards):kBlobMaxBytes (commit $(git -C "$root" rev-parse --short HEAD), $(date -u +%Y-%m-%d))"
  echo
  echo "Each: \`strata_bench --sizes $sizes --runs $runs --doc-size $doc_size --no-git\` built with the values."
} >"$report"
for v in $variants; do
  flat=${v%%:*}
  blob=${v##*:}
  src="$tmp/src-$flat-$blob"
  mkdir -p "$src"
  git -C "$root" archive HEAD | tar -x -C "$src"
  sed -i -E "s/(kBlobMaxBytes = )[0-9]+;/\\1$blob;/; s/(kNibbleShards\\{4, )[0-9]+\\}/\\1$flat}/" "$src/objects/tree_codec.h"
  grep -q "kBlobMaxBytes = $blob;" "$src/objects/tree_codec.h" && grep -q "kNibbleShards{4, $flat}" "$src/objects/tree_codec.h" \
    || { echo "cannot set the thresholds in $src/objects/tree_codec.h" >&2; exit 1; }
  cmake -S "$src" -B "$src/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$src/build" --target strata_bench -j "$(nproc)" >/dev/null
  echo >>"$report"
  echo "### flat limit = $flat (16-way shards), kBlobMaxBytes = $blob" >>"$report"
  "$src/build/bench/strata_bench" --sizes "$sizes" --runs "$runs" --doc-size "$doc_size" --no-git \
    --workdir "$tmp/repos" --json "$out/thresholds-$flat-$blob.json" 2>/dev/null | tee -a "$report"
  rm -rf "$src"
done
echo "figures: $report"
