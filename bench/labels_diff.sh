#!/usr/bin/env bash
# How the costs added in issue 6 part 2 grow:
#  (a) `strata log` over V versions with L of them labelled later (git notes):
#      the notes tree is read once per log, then one lookup per version;
#  (b) `strata diff --format merge-patch` and `--stat` of a one-value change in a
#      state of D documents: only the changed documents are read, so the time
#      should not follow D.
# Prints wall times; nothing here asserts a time.
#
#   bench/labels_diff.sh                      # V=2000, D in 1000 100000
#   V=500 STRATA=build-bench/cli/strata bench/labels_diff.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA:-$root/build/cli/strata}
v=${V:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export STRATA_AUTHOR="bench <bench@example.com>" PAGER=cat

now() { date +%s.%N; }
timed() {  # timed LABEL CMD...: runs CMD (output dropped), prints its wall time
  local label=$1 start end
  shift
  start=$(now)
  "$@" >/dev/null
  end=$(now)
  awk -v l="$label" -v s="$start" -v e="$end" 'BEGIN {printf "  %-44s %7.3f s\n", l, e - s}'
}

echo "(a) log with labels added later, $v versions"
cd "$work" && mkdir a && cd a && "$strata" init >/dev/null
for i in $(seq 1 "$v"); do echo "$i" | "$strata" put d - >/dev/null; done
timed "log, no labels" "$strata" log
for i in $(seq 0 2 $((v - 1))); do "$strata" label "HEAD~$i" "l$i" >/dev/null; done
timed "log, $((v / 2)) versions labelled" "$strata" log
timed "log --json, $((v / 2)) versions labelled" "$strata" log --json
timed "label one more version" "$strata" label HEAD~1 extra

echo "(b) diff of one changed value in D documents"
for d in 1000 100000; do
  cd "$work" && rm -rf b && mkdir b && cd b && "$strata" init >/dev/null
  python3 -c "
import json
for i in range($d): print(json.dumps({'id': 'doc%d' % i, 'doc': {'a': i, 'b': [1, 2], 'c': {'d': 'x'}}}))
" >docs.jsonl
  "$strata" import docs.jsonl >/dev/null
  "$strata" set doc7 /c/d '"y"' >/dev/null
  timed "D=$d diff --format merge-patch" "$strata" diff HEAD~1 --format merge-patch
  timed "D=$d diff --stat" "$strata" diff HEAD~1 --stat
  timed "D=$d diff --format summary --doc doc7" "$strata" diff HEAD~1 --format summary --doc doc7
done
