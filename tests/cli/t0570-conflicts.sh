#!/usr/bin/env bash
# Conflicts as data: a merge that stops is kept in the repository; conflicts,
# resolve, merge --continue and --abort; writes wait for it.
. "$(dirname "$0")/lib.sh"

# main and feat both change a /x and b /k; feat also changes c, main d.
setup() {
  new_repo "$1"
  strata put a - <<<'{"x":1,"y":{"z":1},"s":"k"}' >/dev/null
  strata put b - <<<'{"k":1}' >/dev/null
  sgit branch feat
  strata set a /x 2 >/dev/null
  strata rm b >/dev/null
  strata put d - <<<'{"mine":1}' >/dev/null
  strata set a /x 3 --branch feat >/dev/null
  strata set b /k 3 --branch feat >/dev/null
  strata put c - --branch feat <<<'{"theirs":1}' >/dev/null
}

test_expect_success 'a merge that stops: exit 1, each conflict named, main unmoved' '
  setup stop
  main=$(sgit rev-parse main)
  rc=0
  strata merge feat >out 2>err || rc=$?
  expect_eq 1 "$rc"
  cat >expect <<-\EOT
	CONFLICT (both modified  a /x)
	CONFLICT (deleted by us  b)
	EOT
  expect_files_eq expect out
  expect_match "^strata: error: merge stopped on 2 conflict\(s\) \(a /x, b\); main did not move" "$(cat err)"
  expect_eq "$main" "$(sgit rev-parse main)"
  expect_eq "$main" "$(sgit rev-parse refs/strata/merge/main^1)"
'

test_expect_success 'conflicts: human (exact) and --json, sides left out where absent' '
  setup list
  strata merge feat >/dev/null 2>&1 || true
  cat >expect <<-\EOT
	merge of '"'"'feat'"'"' into main: 2 conflict(s) left, 0 resolved
	both modified  a /x
	    base:   1
	    ours:   2
	    theirs: 3
	deleted by us  b (whole document)
	    base:   {"k":1}
	    ours:   (absent)
	    theirs: {"k":3}
	EOT
  strata conflicts >actual
  expect_files_eq expect actual
  expect_eq "[{\"base\":1,\"doc\":\"a\",\"kind\":\"both modified\",\"ours\":2,\"pointer\":\"/x\",\"theirs\":3},{\"base\":{\"k\":1},\"doc\":\"b\",\"kind\":\"deleted by us\",\"pointer\":\"\",\"theirs\":{\"k\":3}}]" "$(strata conflicts --json | jpath d)"
'

test_expect_success 'writes to the branch are refused while the merge is in progress' '
  setup blocked
  strata merge feat >/dev/null 2>&1 || true
  snapshot_repo
  expect_fail 1 strata set a /x 9
  expect_match "merge of .feat. into main is in progress" "$(err)"
  expect_match "strata merge --continue" "$(err)"
  expect_match "strata merge --abort" "$(err)"
  expect_fail 1 strata merge feat
  expect_repo_unchanged
  # Another branch is not blocked.
  strata set q /w 1 --branch feat >/dev/null
'

test_expect_success 'a branch with a merge in progress cannot be deleted, even with -D' '
  setup nodelete
  strata merge feat >/dev/null 2>&1 || true
  strata switch -c other >/dev/null
  snapshot_repo
  expect_fail 1 strata branch -D main
  expect_match "merge of .feat. into .main. is in progress" "$(err)"
  expect_repo_unchanged
  strata switch main >/dev/null
  strata merge --abort >/dev/null
  strata switch other >/dev/null
  strata branch -D main >/dev/null
  expect_eq "" "$(sgit for-each-ref refs/heads/main refs/strata/merge/)"
'

test_expect_success 'resolve one by one, then --continue writes the merge version' '
  setup resolve
  main=$(sgit rev-parse main)
  strata merge feat >/dev/null 2>&1 || true
  expect_fail 1 strata merge --continue
  expect_match "2 conflict\(s\) of the merge of .feat. into main remain: a /x, b" "$(err)"
  expect_eq "1 conflict(s) left:
  deleted by us  b" "$(strata resolve a /x --value "{\"both\":[2,3]}")"
  expect_fail 1 strata resolve a /x --ours
  expect_match "no conflict at a /x" "$(err)"
  expect_eq "every conflict is resolved: run '"'"'strata merge --continue'"'"'" "$(strata resolve b --theirs)"
  strata merge --continue -m "merged feat" >/dev/null
  expect_eq "{\"both\":[2,3]}" "$(strata get a /x)"
  expect_eq "{\"k\":3}" "$(strata get b)"
  expect_eq "{\"theirs\":1}" "$(strata get c)"
  expect_eq "{\"mine\":1}" "$(strata get d)"
  expect_eq "merged feat" "$(sgit log -1 --format=%s main)"
  expect_eq "$main $(sgit rev-parse feat)" "$(sgit log -1 --format=%P main)"
  expect_eq gone "$(sgit rev-parse --verify -q refs/strata/merge/main || echo gone)"
  strata verify >/dev/null
'

test_expect_success 'resolve --all --ours, --base, and usage errors' '
  setup all
  strata merge feat >/dev/null 2>&1 || true
  expect_fail 2 strata resolve --all
  expect_fail 2 strata resolve a --ours --theirs
  expect_fail 2 strata resolve --all --base
  expect_fail 2 strata resolve --all a --ours
  expect_fail 2 strata resolve --ours
  expect_fail 1 strata resolve a /x --value "{bad"
  strata resolve a --base >/dev/null
  strata resolve --all --ours --json >out.json
  expect_eq "{\"conflicts\":[],\"resolved\":2}" "$(jpath d <out.json)"
  strata merge --continue >/dev/null
  expect_eq 1 "$(strata get a /x)"
  expect_fail 1 strata get b
'

test_expect_success 'abort: the branch and state as they were, writes allowed again' '
  setup abort
  main=$(sgit rev-parse main)
  strata merge feat >/dev/null 2>&1 || true
  strata resolve a /x --theirs >/dev/null
  expect_eq "aborted the merge of '"'"'feat'"'"' into main; main is at ${main:0:12} as before" "$(strata merge --abort)"
  expect_eq "$main" "$(sgit rev-parse main)"
  expect_eq 2 "$(strata get a /x)"
  expect_fail 1 strata conflicts
  expect_match "no merge in progress on main" "$(err)"
  strata set a /x 5 >/dev/null
'

test_expect_success '--strategy theirs and ours settle every conflict, taking other changes from both' '
  setup theirs
  strata merge feat --strategy theirs >/dev/null
  expect_eq 3 "$(strata get a /x)"
  expect_eq "{\"k\":3}" "$(strata get b)"
  expect_eq "{\"mine\":1}" "$(strata get d)"
  setup ours
  strata merge feat --strategy ours >/dev/null
  expect_eq 2 "$(strata get a /x)"
  expect_fail 1 strata get b
  expect_eq "{\"theirs\":1}" "$(strata get c)"
'

test_expect_success '--only DOC merges just those documents' '
  setup only
  strata merge feat --only c >/dev/null
  expect_eq "{\"theirs\":1}" "$(strata get c)"
  expect_eq 2 "$(strata get a /x)"
  expect_fail 1 strata get b
'

test_expect_success 'the merge in progress survives a killed process mid-merge (kept by a ref)' '
  setup crash
  main=$(sgit rev-parse main)
  strata merge feat >/dev/null 2>&1 || true
  merge=$(sgit rev-parse refs/strata/merge/main)
  # A resolve killed before it moves the ref leaves the merge as it was.
  timeout -s KILL 0.001 "$STRATA" resolve --all --theirs >/dev/null 2>&1 || true
  now=$(sgit rev-parse refs/strata/merge/main 2>/dev/null || echo gone)
  if [ "$now" = "$merge" ]; then
    expect_eq 2 "$(strata conflicts --json | jpath "len(d)")"
  else
    expect_eq 0 "$(strata conflicts --json | jpath "len(d)")"
  fi
  strata verify >/dev/null
  sgit fsck --strict 2>&1 | { ! grep -E "^(error|warning)"; }
'

test_done
