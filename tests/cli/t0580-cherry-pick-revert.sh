#!/usr/bin/env bash
# cherry-pick and revert: one version's change applied or undone with the
# three-way merge, conflicts finished like a merge's.
. "$(dirname "$0")/lib.sh"

test_expect_success 'cherry-pick applies exactly one version, with one parent' '
  new_repo pick
  strata put a - <<<"{\"x\":1,\"y\":1}" >/dev/null
  sgit branch feat
  strata set a /x 5 --branch feat >/dev/null
  strata set a /y 7 --branch feat >/dev/null
  strata put b - <<<"1" >/dev/null
  head=$(sgit rev-parse main)
  pick=$(sgit rev-parse feat)
  strata cherry-pick feat --json >out.json
  expect_eq merged "$(jpath "d[\"result\"]" <out.json)"
  expect_eq cherry-pick "$(jpath "d[\"operation\"]" <out.json)"
  expect_eq "[\"$head\"]" "$(jpath "d[\"version\"][\"parents\"]" <out.json)"
  expect_eq "cherry-pick ${pick:0:12}: set a /y" "$(sgit log -1 --format=%s main)"
  expect_eq "{\"x\":1,\"y\":7}" "$(strata get a)"
  expect_eq "nothing to cherry-pick: main already holds that state; nothing written" "$(strata cherry-pick feat)"
'

test_expect_success 'cherry-pick with a conflict: stop, resolve, cherry-pick --continue' '
  new_repo pickc
  strata put a - <<<"{\"x\":1}" >/dev/null
  sgit branch feat
  strata set a /x 5 --branch feat >/dev/null
  strata set a /x 2 >/dev/null
  head=$(sgit rev-parse main)
  rc=0
  strata cherry-pick feat >out 2>err || rc=$?
  expect_eq 1 "$rc"
  expect_eq "CONFLICT (both modified  a /x)" "$(cat out)"
  expect_match "cherry-pick stopped on 1 conflict\(s\) \(a /x\); main did not move.*strata cherry-pick --continue" "$(cat err)"
  expect_eq "$head" "$(sgit rev-parse main)"
  expect_fail 1 strata set a /x 3
  expect_match "cherry-pick of .feat. into main is in progress" "$(err)"
  strata resolve a /x --theirs >/dev/null
  strata cherry-pick --continue >/dev/null
  expect_eq 5 "$(strata get a /x)"
  expect_eq "$head" "$(sgit log -1 --format=%P main)"
'

test_expect_success 'revert undoes exactly one version (a later change elsewhere kept)' '
  new_repo rev
  strata put a - <<<"{\"x\":1,\"y\":1}" >/dev/null
  strata set a /x 2 -m "bad change" >/dev/null
  bad=$(sgit rev-parse main)
  strata set a /y 3 >/dev/null
  strata revert "$bad" >out
  expect_match "^\[main [0-9a-f]{12}\] revert ${bad:0:12}: bad change$" "$(cat out)"
  expect_eq "{\"x\":1,\"y\":3}" "$(strata get a)"
  strata revert HEAD >/dev/null
  expect_eq "{\"x\":2,\"y\":3}" "$(strata get a)"
  strata verify >/dev/null
'

test_expect_success 'revert against a later change of the same value: exit 1, each value named, branch unchanged' '
  new_repo revc
  strata put a - <<<"{\"x\":1,\"y\":1,\"z\":1}" >/dev/null
  strata put a - <<<"{\"x\":2,\"y\":2,\"z\":2}" >/dev/null
  bad=$(sgit rev-parse main)
  strata set a /x 3 >/dev/null
  strata set a /y 3 >/dev/null
  head=$(sgit rev-parse main)
  rc=0
  strata revert "$bad" >out 2>err || rc=$?
  expect_eq 1 "$rc"
  cat >expect <<-\EOT
	CONFLICT (both modified  a /x)
	CONFLICT (both modified  a /y)
	EOT
  expect_files_eq expect out
  expect_match "^strata: error: revert stopped on 2 conflict\(s\) \(a /x, a /y\); main did not move" "$(cat err)"
  expect_eq "$head" "$(sgit rev-parse main)"
  expect_eq "[{\"base\":2,\"doc\":\"a\",\"kind\":\"both modified\",\"ours\":3,\"pointer\":\"/x\",\"theirs\":1},{\"base\":2,\"doc\":\"a\",\"kind\":\"both modified\",\"ours\":3,\"pointer\":\"/y\",\"theirs\":1}]" "$(strata conflicts --json | jpath d)"
  strata revert --abort >/dev/null
  expect_eq "$head" "$(sgit rev-parse main)"
  expect_eq gone "$(sgit rev-parse --verify -q refs/strata/merge/main || echo gone)"
  strata revert "$bad" --strategy theirs >/dev/null
  expect_eq "{\"x\":1,\"y\":1,\"z\":1}" "$(strata get a)"
'

test_expect_success 'errors: unknown revision, an empty branch, --continue with nothing in progress' '
  new_repo errs
  expect_fail 1 strata revert HEAD
  strata put a - <<<"1" >/dev/null
  snapshot_repo
  expect_fail 1 strata cherry-pick nope
  expect_match "nope" "$(err)"
  expect_fail 1 strata revert --continue
  expect_fail 2 strata revert
  expect_repo_unchanged
'

test_done
