#!/usr/bin/env bash
# Fresh machine to green: installs dependencies, builds, and runs every test
# through ctest; then builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs every test there too (skip that second
# pass with STRATA_SANITIZE_TESTS=0).
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
