#!/usr/bin/env bash
# strata merge: the table of tests/merge/cases.json through the CLI (the same
# cases tests/repo/merge_test.cc runs through the library), then fast-forward,
# up to date, --no-ff, errors and --json.
. "$(dirname "$0")/lib.sh"

CASES="$TEST_SRC_DIR/../merge/cases.json"
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$CASES")
for i in $(seq 0 $((count - 1))); do
  name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][int(sys.argv[2])]["name"])' "$CASES" "$i")
  test_expect_success "case $i: $name" "
    mkdir c$i
    cd c$i
    python3 \"\$TEST_SRC_DIR/merge_cases.py\" \"\$CASES\" $i
  "
done

setup_ff() {
  new_repo "$1"
  strata set a /x 1 >/dev/null
  sgit branch feat
  strata set a /x 2 --branch feat >/dev/null
}

test_expect_success 'fast-forward, then up to date (exact output)' '
  setup_ff ff
  feat=$(sgit rev-parse --short=12 feat)
  expect_eq "fast-forward main to $feat" "$(strata merge feat)"
  expect_eq "$(sgit rev-parse feat)" "$(sgit rev-parse main)"
  expect_eq "already up to date: '"'"'feat'"'"' is in main; nothing written" "$(strata merge feat)"
  expect_eq up-to-date "$(strata merge feat --json | jpath "d[\"result\"]")"
  expect_eq up-to-date "$(strata merge main~1 --json | jpath "d[\"result\"]")"
'

test_expect_success '--no-ff writes a merge version with two parents' '
  setup_ff noff
  main=$(sgit rev-parse main)
  feat=$(sgit rev-parse feat)
  strata merge feat --no-ff -m "take feat" --json >out.json
  expect_eq merged "$(jpath "d[\"result\"]" <out.json)"
  expect_eq "take feat" "$(jpath "d[\"version\"][\"message\"]" <out.json)"
  expect_eq "[\"$main\",\"$feat\"]" "$(jpath "d[\"version\"][\"parents\"]" <out.json)"
  expect_eq 2 "$(strata get a /x)"
  strata verify >/dev/null
  sgit fsck --strict 2>&1 | { ! grep -E "^(error|warning)"; }
'

test_expect_success 'merge --json: the schema' '
  setup_ff schema
  strata set b /y 1 >/dev/null
  strata merge feat --json >out.json
  python3 - out.json <<-\EOT
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert sorted(d) == ["branch", "conflicts", "documents", "operation", "result", "version"], d
	assert d["result"] == "merged" and d["operation"] == "merge" and d["branch"] == "main", d
	assert d["documents"] == 1 and d["conflicts"] == [], d
	assert d["version"]["message"] == "merge feat into main", d
	EOT
'

test_expect_success 'errors: unknown revision, bad strategy, no revision, --continue without a merge' '
  setup_ff errs
  snapshot_repo
  expect_fail 1 strata merge nope
  expect_match "nope" "$(err)"
  expect_fail 1 strata merge feat --strategy sideways
  expect_match "sideways" "$(err)"
  expect_fail 2 strata merge
  expect_fail 1 strata merge --continue
  expect_match "no merge in progress on main" "$(err)"
  expect_fail 1 strata merge --abort
  expect_fail 2 strata merge --continue --abort
  expect_fail 2 strata merge feat --continue
  expect_repo_unchanged
'

test_expect_success 'merge --branch merges into another branch without switching' '
  setup_ff other
  strata set b /y 1 >/dev/null
  main=$(sgit rev-parse main)
  strata merge main --branch feat >/dev/null
  expect_eq "$main" "$(sgit rev-parse main)"
  expect_eq 1 "$(strata get b@feat /y)"
  expect_eq 2 "$(strata get a@feat /x)"
'

test_done
