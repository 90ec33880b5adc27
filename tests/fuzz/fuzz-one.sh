#!/usr/bin/env bash
# Fuzzes one target for RUNS inputs from seed 1 (the same inputs on every
# machine, so a test run is repeatable) on a copy of its corpus (the source tree is
# never written by a test): fuzz-one.sh FUZZER CORPUS_DIR RUNS.
# A finding fails the test and prints the input, base64, to add to the corpus.
set -euo pipefail
fuzzer=$1 corpus=$2 runs=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-fuzz-one.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"
dict=()
case $(basename "$fuzzer") in
  fuzz_json|fuzz_patch|fuzz_diff|fuzz_merge|fuzz_state) dict=(-dict="$(dirname "$0")/json.dict") ;;
esac
status=0
"$fuzzer" "${dict[@]}" -runs="$runs" -seed=1 -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || status=$?
grep -E '^stat::number_of_executed_units|^Done ' "$work/log" || true
if [ "$status" -ne 0 ]; then
  tail -n 60 "$work/log"
  for f in "$work"/artifacts/*; do
    [ -e "$f" ] || continue
    echo "finding $(basename "$f") (base64; add it to $corpus with a fix):"
    base64 -w0 "$f"; echo
  done
  exit 1
fi
