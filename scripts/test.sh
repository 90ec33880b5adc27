#!/usr/bin/env bash
# Fresh machine to green: installs dependencies, builds, and runs every test
# through ctest; then builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs every test there too (skip that second
# pass with STRATA_SANITIZE_TESTS=0); then builds the fuzz targets with clang
# and libFuzzer and fuzzes each with STRATA_FUZZ_RUNS inputs from a fixed seed
# (default 100000; skip with STRATA_FUZZ_TESTS=0). The first two builds replay
# the fuzz corpus too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$root/scripts/install-deps.sh"

build=${BUILD_DIR:-$root/build}
BUILD_DIR=$build "$root/scripts/build.sh"
(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 600)

if [ "${STRATA_SANITIZE_TESTS:-1}" != 0 ]; then
  # -O1 keeps sanitizer builds and runs quick; Debug keeps assertions on.
  asan=${ASAN_BUILD_DIR:-$root/build-asan}
  BUILD_DIR=$asan "$root/scripts/build.sh" -DSTRATA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS=-O1
  (cd "$asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$jobs" --timeout 900)
fi

if [ "${STRATA_FUZZ_TESTS:-1}" != 0 ]; then
  fuzz=${FUZZ_BUILD_DIR:-$root/build-fuzz}
  generator=()
  [ -e "$fuzz/CMakeCache.txt" ] || { command -v ninja >/dev/null && generator=(-G Ninja); }
  CXX=clang++-14 cmake -S "$root" -B "$fuzz" "${generator[@]}" -DSTRATA_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_FUZZ_RUNS="${STRATA_FUZZ_RUNS:-100000}"
  cmake --build "$fuzz" -j "$jobs" --target strata_fuzzers
  (cd "$fuzz" && ctest --output-on-failure -j "$jobs" -L fuzz --timeout 600)
fi
