#!/usr/bin/env bash
# Known bugs in cli/ and repo/, as real failing tests. This script is NOT
# registered with ctest (it would fail the suite): run it by hand with
#   STRATA=build/cli/strata bash tests/cli/t9000-known-bugs.sh
# When a bug is fixed, move its test into the script for its family
# (t0300 for patch, t0700 for verify, ...) and delete it here.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'verify reads every object: a deleted document blob is found' '
  rm -rf c1; new_repo c1 >/dev/null
  strata set a /x 1 >/dev/null
  strata set b /y 1 >/dev/null
  strata set b /y 2 >/dev/null
  victim=$(sgit rev-parse main:state/a)
  rm ".strata/objects/${victim:0:2}/${victim:2}"
  # git sees it at once ...
  rc=0; sgit fsck --no-progress >/dev/null 2>&1 || rc=$?
  expect_ne 0 "$rc" "git fsck"
  # ... strata verify says "ok: 3 versions and N objects checked, 0 problems"
  rc=0; strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata verify: $(cat out)"
'

test_expect_success 'verify and show do not hang on a truncated loose object' '
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
  rc=0; STRATA_TIMEOUT=10 strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata verify (124 = timed out)"
  rc=0; STRATA_TIMEOUT=10 strata show >out 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata show (124 = timed out)"
'

test_expect_success 'patch: the write line says the operation count once' '
  cd r
  strata set a /x 1 >/dev/null
  echo "[{\"op\":\"replace\",\"path\":\"/a/x\",\"value\":2}]" >p.json
  out=$(strata patch p.json)
  # actual: [main 0123456789ab] patch 1 documents (1 operation) (1 operation)
  expect_eq "[main $(sgit rev-parse --short=12 main)] patch a (1 operation)" "$out"
'

test_expect_success 'patch: the default message counts documents right ("1 document", not "0 documents")' '
  cd r
  strata set b /y 1 >/dev/null
  echo "[{\"op\":\"replace\",\"path\":\"/a/x\",\"value\":3}]" | strata patch - >/dev/null
  expect_no_match "1 documents" "$(sgit log -1 --format=%s)"
  # a patch of the whole state that replaces both documents and adds one
  echo "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"only\":{\"z\":1}}}]" | strata patch - >/dev/null
  # actual: "patch 0 documents (1 operation)" for a version that changed 3 documents
  expect_no_match "0 documents" "$(sgit log -1 --format=%s)"
'

test_expect_success 'set VALUE out of range names the pointer it was to be set at' '
  cd r
  expect_fail 1 strata set n /v 1e400
  # actual: VALUE: number out of range at pointer '"''"': ...
  expect_match "/v" "$(err)"
'

test_expect_success 'import: a JSONL number out of range names the line' '
  cd r
  printf "{\"id\":\"x\",\"doc\":1}\n{\"id\":\"y\",\"doc\":1e400}\n" >big.jsonl
  expect_fail 1 strata import big.jsonl
  # actual: big.jsonl: number out of range at pointer '"'"'/doc'"'"': ...
  expect_match "^strata: error: big.jsonl:2" "$(err)"
'

test_expect_success 'an error naming a value with a newline stays on one line' '
  cd r
  expect_fail 1 strata set d /a 2 --label "new
line"
'

test_done
