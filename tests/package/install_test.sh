#!/bin/bash
# install_test.sh BUILD_DIR SOURCE_DIR MODE
# Installs the build tree into a fresh temporary prefix (removed after), then
# MODE:
#   cmake      configures and builds tests/package/consumer with
#              find_package(strata) against the prefix, and runs it;
#   pkgconfig  compiles the same consumer with `pkg-config --cflags --libs
#              strata` from the prefix, and runs it;
#   headers    compiles each installed public header alone, with only the
#              prefix's include dir (and Boost) on the path, and a poisoned
#              git2.h ahead of the system's: a public header that includes
#              libgit2, or a private strata header, fails to compile. The
#              umbrella header, preprocessed, must name no git_* identifier.
# STRATA_CONSUMER_FLAGS: extra compile and link flags for the consumer (the
# sanitizer flags, when the library was built with them: an uninstrumented
# program cannot load an ASan-instrumented libstrata).
set -euo pipefail
build=$1 src=$2 mode=$3
prefix=$(mktemp -d "${TMPDIR:-/tmp}/strata-install-XXXXXX")
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix/usr" >"$prefix/install.log" 2>&1 ||
  { cat "$prefix/install.log" >&2; fail "cmake --install"; }
p=$prefix/usr
for f in include/strata/strata.h include/strata/repository.h lib/cmake/strata/strataConfig.cmake \
         lib/cmake/strata/strataConfigVersion.cmake lib/cmake/strata/strataTargets.cmake \
         lib/pkgconfig/strata.pc; do
  [ -f "$p/$f" ] || fail "not installed: $f"
done
ls "$p"/lib/libstrata.so.* >/dev/null 2>&1 || fail "no libstrata.so.* in $p/lib"
# Private headers stay private.
for f in objects/git.h repo/transaction.h repo/repository_impl.h; do
  [ ! -e "$p/include/$f" ] || fail "private header installed: $f"
done

case $mode in
  cmake)
    cmake -S "$src/tests/package/consumer" -B "$prefix/consumer-build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$p" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS="${STRATA_CONSUMER_FLAGS:-}" \
      -DCMAKE_EXE_LINKER_FLAGS="${STRATA_CONSUMER_FLAGS:-}" >"$prefix/configure.log" 2>&1 ||
      { cat "$prefix/configure.log" >&2; fail "configure the consumer"; }
    cmake --build "$prefix/consumer-build" >"$prefix/build.log" 2>&1 ||
      { cat "$prefix/build.log" >&2; fail "build the consumer"; }
    # It links libstrata from the prefix, not from the build tree.
    # Capture first: under pipefail, `ldd | grep -q` fails whenever grep exits
    # on its match while ldd is still writing (SIGPIPE, 141).
    libs=$(ldd "$prefix/consumer-build/consumer")
    grep -qF "$p/lib/libstrata.so" <<<"$libs" ||
      { printf '%s\n' "$libs" >&2; fail "consumer does not use the installed libstrata"; }
    out=$("$prefix/consumer-build/consumer" "$prefix/repo")
    ;;
  pkgconfig)
    flags=$(PKG_CONFIG_PATH="$p/lib/pkgconfig" pkg-config --cflags --libs strata) ||
      fail "pkg-config strata"
    case " $flags " in *git2*) fail "pkg-config flags name libgit2: $flags" ;; esac
    ${CXX:-c++} -std=c++20 ${STRATA_CONSUMER_FLAGS:-} "$src/tests/package/consumer/consumer.cc" \
      -o "$prefix/consumer" $flags ||
      fail "compile with pkg-config flags: $flags"
    out=$(LD_LIBRARY_PATH="$p/lib" "$prefix/consumer" "$prefix/repo")
    ;;
  headers)
    mkdir -p "$prefix/poison/git2"
    echo '#error "a public strata header includes libgit2"' >"$prefix/poison/git2.h"
    cp "$prefix/poison/git2.h" "$prefix/poison/git2/sys.h"
    n=0
    for h in "$p"/include/strata/*.h; do
      name=strata/$(basename "$h")
      printf '#include <%s>\n#include <%s>\n' "$name" "$name" >"$prefix/tu.cc"
      ${CXX:-c++} -std=c++20 -fsyntax-only -I"$prefix/poison" -I"$p/include" "$prefix/tu.cc" ||
        fail "$name does not compile on its own"
      n=$((n + 1))
    done
    [ "$n" -ge 15 ] || fail "only $n public headers"
    echo '#include <strata/strata.h>' >"$prefix/tu.cc"
    ${CXX:-c++} -std=c++20 -E -P -I"$prefix/poison" -I"$p/include" "$prefix/tu.cc" >"$prefix/pp.cc"
    if grep -nE '\bgit_[a-z_]+' "$prefix/pp.cc" | head -5 | grep .; then
      fail "strata/strata.h names a libgit2 identifier"
    fi
    out="consumer ok"  # every header compiled alone
    echo "$n public headers compile alone"
    ;;
  *) fail "unknown mode $mode" ;;
esac
[ "$out" = "consumer ok" ] || fail "consumer printed '$out'"
echo "$mode: consumer ok"
