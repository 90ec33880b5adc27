#!/usr/bin/env bash
# Known bugs in cli/ and repo/, as real failing tests. This script is NOT
# registered with ctest (it would fail the suite): run it by hand with
#   STRATA=build/cli/strata bash tests/cli/t9000-known-bugs.sh
# When a bug is fixed, move its test into the script for its family
# (t0300 for patch, t0700 for verify, ...) and delete it here.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"


test_expect_success 'show does not hang on a truncated loose object' '
  rm -rf c3; new_repo c3 >/dev/null
  strata set a /x 1 >/dev/null
  strata set a /x 2 >/dev/null
  victim=$(sgit rev-parse main:delta.zst)
  f=".strata/objects/${victim:0:2}/${victim:2}"
  chmod u+w "$f"
  head -c 20 "$f" >t
  mv t "$f"
  # libgit2 1.5 loops forever in inflate on a truncated loose object
  # (libgit2/libgit2#7342, fixed by #7346); strata must not hang.
  rc=0; STRATA_TIMEOUT=10 strata show >out 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata show (124 = timed out)"
'






test_done
