#!/usr/bin/env bash
# `cmake --install` into a temporary prefix puts the binary, the man pages
# and the bash completion where a system looks for them. Only strata's own
# files are checked (the library's install is tested elsewhere).
. "$(dirname "$0")/lib.sh"

BUILD_DIR=$(cd "$(dirname "$STRATA")/.." && pwd)
P="$TRASH/prefix"

test_expect_success 'cmake --install puts bin/strata, the man pages and the completion' '
  test -f "$BUILD_DIR/CMakeCache.txt" || skip "no build folder next to $STRATA"
  cmake --install "$BUILD_DIR" --prefix "$P" >install.log
  test -x "$P/bin/strata"
  test -f "$P/share/man/man1/strata.1"
  test -f "$P/share/man/man1/strata-log.1"
  test -f "$P/share/bash-completion/completions/strata"
  # One page per command, and the overview.
  expect_eq "$(( $("$P/bin/strata" __complete commands | grep -cvxE "help|version") + 1 ))" \
    "$(ls "$P/share/man/man1" | grep -c "^strata.*\.1\$")"
'

test_expect_success 'the installed strata runs; its pages are the ones it prints' '
  test -x "$P/bin/strata" || skip "not installed"
  expect_match "^strata [0-9]" "$("$P/bin/strata" --version)"
  "$P/bin/strata" help --man switch >expect.1
  expect_files_eq expect.1 "$P/share/man/man1/strata-switch.1"
'

test_expect_success 'man finds the installed pages through MANPATH' '
  test -x "$P/bin/strata" || skip "not installed"
  command -v man >/dev/null || skip "man is not installed"
  expect_eq "$P/share/man/man1/strata.1" "$(MANPATH="$P/share/man" man -w strata)"
  expect_eq "$P/share/man/man1/strata-merge.1" "$(MANPATH="$P/share/man" man -w strata-merge)"
  MANPATH="$P/share/man" MANWIDTH=80 man strata-merge 2>/dev/null >merge.txt
  expect_match "^ +strata-merge - " "$(cat merge.txt)"
'

test_expect_success 'the installed completion completes with the installed strata' '
  test -x "$P/bin/strata" || skip "not installed"
  out=$(PATH="$P/bin:$PATH" bash -c "
    . \"$P/share/bash-completion/completions/strata\"
    COMP_WORDS=(strata swi); COMP_CWORD=1; _strata; echo \"\${COMPREPLY[*]}\"
    complete -p strata")
  expect_eq "switch
complete -F _strata strata" "$out"
'

test_done
