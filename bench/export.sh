#!/usr/bin/env bash
# Times `strata export` of N small documents against `git checkout` of the same files.
#   bench/export.sh [N] [BUILD_DIR]      (defaults: 100000, build)
# Prints one line per step; docs/performance.md ("Export") has the figures.
set -euo pipefail
N=${1:-100000}
BUILD=$(cd "${2:-build}" && pwd)
STRATA=$BUILD/cli/strata
WORK=$(mktemp -d "${TMPDIR:-/tmp}/strata-export-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BUILD/bench/strata_gen" --count "$N" --size 200 --depth 2 --seed 1 --format jsonl --out docs.jsonl
"$STRATA" init r >/dev/null
"$STRATA" --repo r import docs.jsonl -m load >/dev/null
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
sync
echo "strata export, new folder:       $(t "$STRATA" --repo r export out) s"
echo "strata export again (unchanged): $(t "$STRATA" --repo r export out) s"
git init -q g && cp -r out/. g/ && git -C g add -A && git -C g -c user.name=b -c user.email=b@b commit -qm x
mkdir co && sync
echo "git checkout, new folder:        $(t git --git-dir=g/.git --work-tree=co checkout -f HEAD -- .) s"
echo "git checkout again:              $(t git --git-dir=g/.git --work-tree=co checkout -f HEAD -- .) s"
echo "files: $(find out -type f | wc -l) strata, $(find co -type f | wc -l) git"
