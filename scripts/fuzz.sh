#!/usr/bin/env bash
# Builds the fuzz targets with clang, libFuzzer, ASan and UBSan into
# build-fuzz/ (or $BUILD_DIR) and fuzzes each for SECONDS (default 60),
# growing its corpus in tests/fuzz/corpus/NAME with the inputs that reach new
# code. Prints each target's executions; a finding stops with its input.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # targets: json pointer patch diff
#                                             # merge delta loose tree state
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json pointer patch diff merge delta loose tree state)
generator=()
# A build folder keeps the generator it was made with.
[ -e "$build/CMakeCache.txt" ] || { command -v ninja >/dev/null && generator=(-G Ninja); }
CXX=${CXX:-clang++-14} cmake -S "$root" -B "$build" "${generator[@]}" -DSTRATA_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target strata_fuzzers
for t in "${targets[@]}"; do
  corpus=$root/tests/fuzz/corpus/$t
  work=$(mktemp -d "${TMPDIR:-/tmp}/strata-fuzz.XXXXXX")
  dict=()
  case $t in json|patch|diff|merge|state) dict=(-dict="$root/tests/fuzz/json.dict") ;; esac
  status=0
  "$build/tests/fuzz/fuzz_$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work" "$corpus" >"$work.log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$work.log"
    echo "fuzz_$t: FINDING after ${execs:-?} executions; inputs in $work" >&2
    exit 1
  fi
  # Keep only the new inputs that add coverage to the corpus.
  "$build/tests/fuzz/fuzz_$t" -merge=1 "$corpus" "$work" >/dev/null 2>&1
  echo "fuzz_$t: ${execs:-?} executions in ${seconds} s, no finding; corpus $(ls "$corpus" | wc -l) inputs"
  rm -rf "$work" "$work.log"
done
