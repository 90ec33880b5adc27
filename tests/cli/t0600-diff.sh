#!/usr/bin/env bash
# diff: human, patch, summary and --json; diff | patch reproduces a state.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
echo "{\"x\":1,\"y\":[1,2],\"z\":\"s\"}" | strata put a - >/dev/null
echo 1 | strata put b - >/dev/null
strata set a /x 2 >/dev/null
strata rm a /z >/dev/null
echo "{\"n\":null}" | strata put c - >/dev/null
strata rm b >/dev/null
sgit tag A main~5
sgit tag B main
cd "$TRASH"

test_expect_success 'diff FROM TO: one line per change (exact)' '
  cd r
  cat >expect <<-\EOT
	~ a /x  1 -> 2
	- a /z  was "s"
	+ c     {"n":null}
	EOT
  strata diff A B >actual
  expect_files_eq expect actual
'

test_expect_success 'diff FROM alone compares with HEAD' '
  cd r
  strata diff A >actual
  expect_files_eq expect actual
  expect_eq "~ a /x  1 -> 2" "$(strata diff HEAD~4 HEAD~3)"
'

test_expect_success 'diff --format patch: the RFC 6902 patch (exact)' '
  cd r
  expect_eq "[{\"op\":\"replace\",\"path\":\"/a/x\",\"value\":2},{\"op\":\"remove\",\"path\":\"/a/z\"},{\"op\":\"add\",\"path\":\"/c\",\"value\":{\"n\":null}}]" \
    "$(strata diff A B --format patch)"
'

test_expect_success 'diff --format summary: one line per document (exact)' '
  cd r
  cat >expect <<-\EOT
	M a  (2 changes)
	A c
	2 documents changed (1 created, 1 updated, 0 deleted), 3 operations
	EOT
  strata diff A B --format summary >actual
  expect_files_eq expect actual
  expect_match "^D b" "$(strata diff HEAD~1 HEAD --format summary)"
'

test_expect_success 'diff --json: from, to, patch and changes with old values' '
  cd r
  strata diff A B --json >d.json
  python3 - d.json "$(sgit rev-parse A)" "$(sgit rev-parse B)" <<-\EOT
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert sorted(d) == ["changes", "from", "patch", "to"], sorted(d)
	assert d["from"] == sys.argv[2] and d["to"] == sys.argv[3], d
	assert d["patch"] == [{"op": "replace", "path": "/a/x", "value": 2},
	                      {"op": "remove", "path": "/a/z"},
	                      {"op": "add", "path": "/c", "value": {"n": None}}], d["patch"]
	assert d["changes"][0] == {"op": "replace", "path": "/a/x", "value": 2, "doc": "a",
	                           "pointer": "/x", "old": 1}, d["changes"][0]
	assert d["changes"][1] == {"op": "remove", "path": "/a/z", "doc": "a", "pointer": "/z",
	                           "old": "s"}, d["changes"][1]
	assert d["changes"][2]["doc"] == "c" and d["changes"][2]["pointer"] == ""
	EOT
'

test_expect_success 'diff --json keeps --format: patch and summary' '
  cd r
  expect_eq "$(strata diff A B --format patch --compact)" "$(strata diff A B --format patch --json)"
  strata diff A B --format summary --json >s.json
  expect_eq "[{\"id\":\"a\",\"operations\":2,\"status\":\"modified\"},{\"id\":\"c\",\"operations\":1,\"status\":\"added\"}]" "$(jpath "d[\"documents\"]" <s.json)"
  expect_eq 3 "$(jpath "d[\"operations\"]" <s.json)"
  expect_eq "$(sgit rev-parse B)" "$(jpath "d[\"to\"]" <s.json)"
  strata diff main~1 B --format summary --json >r.json
  expect_eq "[{\"id\":\"b\",\"operations\":1,\"status\":\"removed\"}]" "$(jpath "d[\"documents\"]" <r.json)"
'

test_expect_success 'diff of a revision with itself is empty' '
  cd r
  expect_eq "" "$(strata diff B B)"
  expect_eq "[]" "$(strata diff B B --format patch)"
  expect_eq "[]" "$(strata diff HEAD HEAD --json | jpath "d[\"patch\"]")"
'

test_expect_success 'diff errors: unknown revision (1), bad format or no FROM (2)' '
  cd r
  snapshot_repo
  expect_fail 1 strata diff nope
  expect_match "nope" "$(err)"
  expect_fail 1 strata diff A nope
  expect_fail 2 strata diff A --format bogus
  expect_fail 2 strata diff
  expect_fail 2 strata diff A B C
  expect_repo_unchanged
'

# switch_to BRANCH: point HEAD at a branch with git (strata has no switch yet).
switch_to() { sgit symbolic-ref HEAD "refs/heads/$1"; }

test_expect_success 'diff A B --format patch | strata patch - on a branch at A gives B' '
  cd r
  sgit branch exp A
  switch_to exp
  strata diff A B --format patch | strata patch - >/dev/null
  switch_to main
  for d in a c; do
    expect_eq "$(strata get $d@B)" "$(strata get $d@exp)"
  done
  expect_fail 1 strata get b@exp
  expect_eq "$(strata show --json B | jpath "d[\"state\"]")" "$(strata show --json exp | jpath "d[\"state\"]")"
  expect_eq "" "$(strata diff B exp)"
'

test_expect_success 'the reverse patch takes B back to A' '
  cd r
  sgit branch back B
  switch_to back
  strata diff B A --format patch | strata patch - >/dev/null
  switch_to main
  expect_eq "$(strata show --json A | jpath "d[\"state\"]")" "$(strata show --json back | jpath "d[\"state\"]")"
'

test_expect_success 'diff | patch round trip on a richer history (arrays, nesting, ids with /)' '
  cd r
  sgit tag C main
  echo "{\"list\":[1,2,3,4,5],\"m\":{\"k\":{\"deep\":[{\"a\":1},{\"b\":2}]}},\"s\":\"x~y/z\"}" | strata put cfg/app~1/x - >/dev/null
  strata set cfg/app~1/x /list/0 0 >/dev/null
  strata rm cfg/app~1/x /list/3 >/dev/null
  strata set cfg/app~1/x /m/k/deep/1/b "[\"new\"]" >/dev/null
  strata set "cfg/other" "/a~1b" "{\"~\":1}" >/dev/null
  strata rm a >/dev/null
  sgit branch exp2 C
  switch_to exp2
  strata diff C main --format patch >p.json
  strata patch p.json >/dev/null
  switch_to main
  expect_eq "$(strata show --json main | jpath "d[\"state\"]")" "$(strata show --json exp2 | jpath "d[\"state\"]")"
  expect_eq "$(strata get cfg/app~1/x)" "$(strata get cfg/app~1/x@exp2)"
'

test_expect_success 'diff output names documents and pointers with JSON Pointer escapes' '
  cd r
  out=$(strata diff HEAD~2 HEAD~1 --format patch)
  expect_eq "[{\"op\":\"add\",\"path\":\"/cfg~1other\",\"value\":{\"a/b\":{\"~\":1}}}]" "$out"
'

test_done
