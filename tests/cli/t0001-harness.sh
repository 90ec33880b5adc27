#!/usr/bin/env bash
# The test harness itself: a failing command anywhere in a body fails the
# test, and a failing test fails the script. Without this, a broken lib.sh
# would let every other script pass.
. "$(dirname "$0")/lib.sh"

run_inner() {
  # $1: a test body; prints the inner script's TAP and exit code.
  printf '. %q\ntest_expect_success inner %q\ntest_done\n' "$TEST_SRC_DIR/lib.sh" "$1" >inner.sh
  rc=0
  bash inner.sh >inner.out 2>&1 || rc=$?
  echo "rc=$rc"
  grep -E "^(not )?ok 1" inner.out
}

test_expect_success 'a passing body passes' '
  out=$(run_inner "true")
  expect_eq "rc=0
ok 1 - inner" "$out"
'

test_expect_success 'a failing command in the middle of a body fails the test' '
  out=$(run_inner "false
true")
  expect_eq "rc=1
not ok 1 - inner (exit 1)" "$out"
'

test_expect_success 'a failing command inside a pipeline fails the test' '
  out=$(run_inner "false | cat
true")
  expect_match "^rc=1" "$out"
'

test_expect_success 'expect_eq, expect_match and expect_fail fail when they should' '
  expect_match "^rc=1" "$(run_inner "expect_eq a b")"
  expect_match "^rc=1" "$(run_inner "expect_match ^b abc")"
  expect_match "^rc=1" "$(run_inner "expect_no_match ^a abc")"
  expect_match "^rc=1" "$(run_inner "expect_fail 1 true")"
  expect_match "^rc=1" "$(run_inner "expect_fail 2 sh -c \"echo strata: error: x >&2; exit 1\"")"
  expect_match "^rc=1" "$(run_inner "expect_fail 1 sh -c \"echo oops >&2; exit 1\"")"
  expect_match "^rc=1" "$(run_inner "expect_fail 1 sh -c \"printf \\\"strata: error: a\\\\nb\\\\n\\\" >&2; exit 1\"")"
  expect_match "^rc=0" "$(run_inner "expect_fail 1 sh -c \"echo strata: error: x >&2; exit 1\"")"
'

test_expect_success 'expect_match and expect_no_match hold on a long text matched early' '
  # grep -q stops at the first match; fed through a pipe under pipefail,
  # the writer of the rest died of SIGPIPE and failed the check.
  long=$(echo match; seq 1 20000)
  expect_match "^match$" "$long"
  expect_no_match "^nomatch$" "$long"
  rc=0; expect_no_match "^match$" "$long" >/dev/null || rc=$?
  expect_eq 1 "$rc"
  rc=0; expect_match "x" "" >/dev/null || rc=$?
  expect_eq 1 "$rc" "an empty text matches nothing"
'

test_expect_success 'skip reports a skip, not a failure' '
  out=$(run_inner "skip \"no widget\"
false")
  expect_eq "rc=0
ok 1 - inner # skip no widget" "$out"
'

test_expect_success 'expect_repo_unchanged sees a new object and a moved ref' '
  new_repo r
  echo 1 | strata put d - >/dev/null
  snapshot_repo
  echo hello | sgit hash-object -w --stdin >/dev/null
  rc=0; expect_repo_unchanged >/dev/null || rc=$?
  expect_eq 1 "$rc" "new object"
  snapshot_repo
  echo 2 | strata put d - >/dev/null
  rc=0; expect_repo_unchanged >/dev/null || rc=$?
  expect_eq 1 "$rc" "moved ref"
  snapshot_repo
  expect_repo_unchanged
'

test_done
