#!/usr/bin/env bash
# Open bugs, one failing test each (not run by ctest: tests/cli/CMakeLists.txt).
# A test moves to its family once its bug is fixed.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

# Fixed by calling ValidateMessage (repo/version.h) on options.message at the
# top of Repository::Write and in Context::WriteOptions; then move to t0200.
test_expect_success 'a message cannot forge a label: -m with a Label: line is refused' '
  cd r
  echo 1 | strata put d >/dev/null
  snapshot_repo
  expect_fail 1 strata set d /a 1 -m "fix

Label: forged"
  expect_match "would be read as a label; give labels with --label" "$(err)"
  expect_fail 1 strata set d /a 1 -m "fix

label : forged"
  expect_repo_unchanged
'

# Fixed by making the default message with SummaryLine (repo/version.h) in
# Repository::Write, instead of describe() cut with substr; then move to t0200.
test_expect_success 'a key cannot forge a label through the default message' '
  cd r
  strata set d "$(printf "/a\n\nLabel: evil")" 1 >/dev/null
  expect_eq "[]" "$(strata show --json | jpath "d[\"labels\"]")"
  expect_eq "set d /a\\n\\nLabel: evil" "$(strata show --json | jpath "d[\"message\"]")"
'

test_done
