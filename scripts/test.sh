#!/usr/bin/env bash
# Fresh machine to green, in two builds:
#  1. Release: installs dependencies, builds everything and runs every test
#     through ctest (the fuzz corpora are replayed as regression tests).
#  2. Sanitizers: one clang build with AddressSanitizer, UndefinedBehavior-
#     Sanitizer and libFuzzer's instrumentation (assertions on, -O1) that runs
#     the tests labelled "sanitize": the unit tests, a CLI script per command
#     family (tests/cli/CMakeLists.txt lists them), and each fuzz target for
#     STRATA_FUZZ_RUNS inputs from a fixed seed (default 100000). Skip it with
#     STRATA_SANITIZE_TESTS=0.
# The whole CLI suite under the sanitizers (`ctest -L cli` in that build) is
# left to a developer's run: it takes longer than CI allows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$root/scripts/install-deps.sh"

build=${BUILD_DIR:-$root/build}
start=$SECONDS
BUILD_DIR=$build "$root/scripts/build.sh"
echo "== Release build: $((SECONDS - start)) s"
start=$SECONDS
(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 600)
echo "== Release tests: $((SECONDS - start)) s"

if [ "${STRATA_SANITIZE_TESTS:-1}" != 0 ]; then
  san=${SANITIZE_BUILD_DIR:-$root/build-sanitize}
  start=$SECONDS
  CC=clang-14 CXX=clang++-14 BUILD_DIR=$san "$root/scripts/build.sh" -DSTRATA_FUZZ=ON \
    -DSTRATA_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" \
    "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" -DSTRATA_FUZZ_RUNS="${STRATA_FUZZ_RUNS:-100000}"
  echo "== sanitizer build: $((SECONDS - start)) s"
  start=$SECONDS
  (cd "$san" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$jobs" -L sanitize --timeout 900)
  echo "== sanitizer tests: $((SECONDS - start)) s"
fi
