#!/usr/bin/env bash
# Deeply nested JSON (10,000 levels, and the limit of 100,000) through put,
# get, set, diff, patch, show and verify, with no stack overflow.
. "$(dirname "$0")/lib.sh"

N=10000
# nest OPEN CLOSE LEAF N: OPEN^N LEAF CLOSE^N
nest() { printf "$1%.0s" $(seq "$4"); printf "%s" "$3"; printf "$2%.0s" $(seq "$4"); }
nest "[" "]" 1 $N >"$TRASH/arr.json"
nest "{\"a\":" "}" 1 $N >"$TRASH/obj.json"
nest "{\"a\":" "}" 2 $N >"$TRASH/obj2.json"
# the pointer to the innermost object's member: /a repeated N-1 times
PTR=$(printf "/a%.0s" $(seq $((N - 1))))

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'put and get 10,000 nested arrays: exact bytes back' '
  cd r
  strata put arr ../arr.json >/dev/null
  strata get arr >out
  { cat ../arr.json; echo; } >expect
  expect_files_eq expect out
'

test_expect_success 'put and get 10,000 nested objects: exact bytes back' '
  cd r
  strata put obj ../obj.json >/dev/null
  strata get obj >out
  { cat ../obj.json; echo; } >expect
  expect_files_eq expect out
'

test_expect_success 'get --pretty of deep values: one line per level' '
  cd r
  expect_eq $((2 * N + 1)) "$(strata get arr --pretty | wc -l)"
  expect_eq $((2 * N + 1)) "$(strata get obj --pretty | wc -l)"
'

test_expect_success 'get with a 9,999-level pointer' '
  cd r
  expect_eq "{\"a\":1}" "$(strata get obj "$PTR")"
  expect_eq "[1]" "$(strata get arr "$(printf "/0%.0s" $(seq $((N - 1))))")"
'

test_expect_success 'set at a 10,000-level pointer; the delta is one deep add' '
  cd r
  strata set obj "$PTR/b" 5 >/dev/null
  expect_eq "{\"a\":1,\"b\":5}" "$(strata get obj "$PTR")"
  strata show --json >show.json
  expect_eq "/obj$PTR/b" "$(grep -o "\"path\":\"[^\"]*\"" show.json | sed -n 1p | cut -d"\"" -f4)"
'

test_expect_success 'put a changed deep document; diff shows a deep replace and remove' '
  cd r
  strata put obj ../obj2.json >/dev/null
  strata diff HEAD~1 HEAD --format patch >p.json
  expect_eq "[{\"op\":\"replace\",\"path\":\"/obj$PTR/a\",\"value\":2},{\"op\":\"remove\",\"path\":\"/obj$PTR/b\"}]" "$(cat p.json)"
  strata diff HEAD~1 HEAD >human
  expect_eq 2 "$(wc -l <human)"
  grep -q "^~ obj $PTR/a  1 -> 2$" human
'

test_expect_success 'diff | patch round trip on deep documents reproduces the state' '
  cd r
  sgit branch deep HEAD~2
  sgit symbolic-ref HEAD refs/heads/deep
  strata diff HEAD main --format patch | strata patch - >/dev/null
  sgit symbolic-ref HEAD refs/heads/main
  expect_eq "$(strata show --json main | grep -o "\"state\":\"[0-9a-f]*\"" | tail -n 1)" \
            "$(strata show --json deep | grep -o "\"state\":\"[0-9a-f]*\"" | tail -n 1)"
  strata get obj@deep >a
  strata get obj@main >b
  expect_files_eq a b
'

test_expect_success 'a patch whose value is 10,000 levels deep' '
  cd r
  { printf "[{\"op\":\"add\",\"path\":\"/arr2\",\"value\":"; cat ../arr.json; printf "}]"; } >deep-patch.json
  strata patch deep-patch.json >/dev/null
  strata get arr2 >out
  { cat ../arr.json; echo; } >expect
  expect_files_eq expect out
  echo "[{\"op\":\"test\",\"path\":\"/arr2\",\"value\":$(cat ../arr.json)},{\"op\":\"remove\",\"path\":\"/arr2\"}]" | strata patch - >/dev/null
  expect_fail 1 strata get arr2
'

test_expect_success 'show, log --json, ls, verify and git fsck --strict cope with depth' '
  cd r
  strata show >/dev/null
  strata show --json HEAD~3 >/dev/null
  strata log --json >/dev/null
  strata ls >/dev/null
  strata verify >/dev/null
  sgit fsck --strict --no-progress --no-dangling >fsck.out 2>&1
  expect_eq "" "$(cat fsck.out)"
'

test_expect_success 'deep JSON in an import (JSONL) and as a set VALUE' '
  cd r
  { printf "{\"id\":\"imp/deep\",\"doc\":"; cat ../obj.json; printf "}\n"; } >d.jsonl
  strata import d.jsonl >/dev/null
  expect_eq "{\"a\":1}" "$(strata get imp/deep "$PTR")"
  strata set viaset /v "$(cat ../arr.json)" >/dev/null
  expect_eq "$(cat ../arr.json)" "$(strata get viaset /v)"
'

test_expect_success 'nesting beyond the documented limit (100,000) is refused cleanly' '
  cd r
  snapshot_repo
  nest "[" "]" 1 100001 >too-deep.json
  expect_fail 1 strata put x too-deep.json
  expect_match "too-deep.json:1:100001: " "$(err)"
  expect_repo_unchanged
'

# Regression: a document exactly as deep as put accepts was stored, then
# verify failed and show refused its version, since the delta holds the
# value two levels deeper (in the patch array and an op object).
test_expect_success 'documents at the limit (100,000 levels) and one below: verify, show, get' '
  rm -rf lim; new_repo lim >/dev/null
  MAX=100000
  nest "[" "]" 1 $MAX >arr-max.json
  nest "{\"a\":" "}" 1 $MAX >obj-max.json
  nest "[" "]" 1 $((MAX - 1)) >arr-below.json
  nest "{\"a\":" "}" 1 $((MAX - 1)) >obj-below.json
  for d in arr-max obj-max arr-below obj-below; do
    strata put $d $d.json >/dev/null
  done
  strata verify >verify.out
  expect_match "^ok: 4 versions and [0-9]+ objects checked, 0 problems$" "$(cat verify.out)"
  for rev in HEAD HEAD~1 HEAD~2 HEAD~3; do
    strata show $rev >/dev/null
    strata show --json $rev >show.json
    grep -q "\"op\":\"add\"" show.json
  done
  for d in arr-max obj-max arr-below obj-below; do
    strata get $d >out
    { cat $d.json; echo; } >expect
    expect_files_eq expect out
  done
'

# Regression: a set or patch that made a document deeper than the limit was
# refused only when the stored blob failed to read back, as corruption.
test_expect_success 'patch and import check the depth of the stored document, naming the pointer' '
  rm -rf depth; new_repo depth >/dev/null
  MAX=100000
  nest "[" "]" 1 $((MAX - 1)) >v.json
  echo "{\"a\":{}}" | strata put d - >/dev/null
  snapshot_repo
  # /d/a/x holds the value two levels inside d: MAX + 1 in all. (A set
  # VALUE that deep is longer than one argument may be; the patch file goes
  # through the same state editor.)
  { printf "[{\"op\":\"add\",\"path\":\"/d/a/x\",\"value\":"; cat v.json; printf "}]"; } >deep-patch.json
  expect_fail 1 strata patch deep-patch.json
  expect_match "document .d. would nest 100001 levels deep; the limit is 100000" "$(err)"
  expect_repo_unchanged
  # One level less fits: the patch file (two levels deeper than its value)
  # and a JSON Lines line (one level deeper) at the limit are read.
  { printf "[{\"op\":\"add\",\"path\":\"/d/x\",\"value\":"; cat v.json; printf "}]"; } >ok-patch.json
  strata patch ok-patch.json >/dev/null
  nest "[" "]" 1 $MAX >max.json
  { printf "{\"id\":\"m\",\"doc\":"; cat max.json; printf "}\n"; } >max.jsonl
  strata import max.jsonl >/dev/null
  strata get m >out
  { cat max.json; echo; } >expect
  expect_files_eq expect out
  strata verify >/dev/null
'

test_expect_success 'invalid deep JSON reports the column' '
  cd r
  { printf "[%.0s" $(seq $N); printf "1,]"; } >bad.json
  expect_fail 1 strata put x bad.json
  expect_eq "strata: error: bad.json:1:$((N + 3)): invalid JSON: syntax error" "$(err)"
'

test_done
