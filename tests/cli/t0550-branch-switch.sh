#!/usr/bin/env bash
# branch and switch: list with ahead/behind, create, delete, switch; git agrees.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'branch before the first version: main, no versions; cannot branch' '
  cd r
  expect_eq "* main  (no versions yet)" "$(strata branch)"
  expect_eq "[{\"ahead\":0,\"behind\":0,\"current\":true,\"name\":\"main\",\"version\":null}]" \
    "$(strata branch --json | jpath d)"
  snapshot_repo
  expect_fail 1 strata branch x
  expect_match "branch .main. has no versions yet" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'branch NAME [START] creates; the listing shows ahead and behind (exact)' '
  cd r
  strata set a /x 1 >/dev/null
  v1=$(sgit rev-parse main)
  expect_eq "branch '\''feat'\'' at ${v1:0:12}" "$(strata branch feat)"
  strata set a /y 2 --branch feat >/dev/null
  strata set a /z 3 --branch feat >/dev/null
  strata set a /x 9 >/dev/null
  strata branch old main~1 >/dev/null
  f=$(sgit rev-parse feat); m=$(sgit rev-parse main)
  cat >expect <<-EOT
	  feat  ${f:0:12}  [ahead 2, behind 1]
	* main  ${m:0:12}
	  old   ${v1:0:12}  [behind 1]
	EOT
  strata branch >actual
  expect_files_eq expect actual
  expect_eq "$v1" "$(sgit rev-parse old)"
'

test_expect_success 'branch with HEAD detached: a first line says where HEAD is, as git does' '
  rm -rf det; new_repo det >/dev/null
  strata put a - <<<1 >/dev/null
  strata put a - <<<2 >/dev/null
  v1=$(sgit rev-parse main~1); m=$(sgit rev-parse main)
  sgit update-ref --no-deref HEAD "$v1"
  cat >expect <<-EOT
	* (HEAD detached at ${v1:0:12})
	  main  ${m:0:12}  [ahead 1]
	EOT
  strata branch >actual
  expect_files_eq expect actual
  expect_eq "[\"main\"]" "$(strata branch --json | jpath "[b[\"name\"] for b in d]")"
'

test_expect_success 'branch --json: the schema' '
  cd r
  strata branch --json >b.json
  python3 - b.json "$(sgit rev-parse feat)" "$(sgit rev-parse main)" <<-\EOT
	import json, sys
	b = json.load(open(sys.argv[1]))
	assert [x["name"] for x in b] == ["feat", "main", "old"], b
	for x in b:
	    assert sorted(x) == ["ahead", "behind", "current", "name", "version"], x
	assert b[0] == {"name": "feat", "version": sys.argv[2], "current": False, "ahead": 2, "behind": 1}, b[0]
	assert b[1] == {"name": "main", "version": sys.argv[3], "current": True, "ahead": 0, "behind": 0}, b[1]
	EOT
'

test_expect_success 'git --git-dir .strata branch agrees' '
  cd r
  expect_eq "$(strata branch --json | jpath "\" \".join(x[\"name\"] for x in d)")" \
    "$(sgit branch --format="%(refname:short)" | tr "\n" " " | sed "s/ $//")"
  expect_eq "* main" "$(sgit branch | grep "^\*")"
'

test_expect_success 'branch refuses an existing name (exit 1) unless -f; bad names; usage' '
  cd r
  snapshot_repo
  expect_fail 1 strata branch feat
  expect_match "branch .feat. already exists" "$(err)"
  expect_fail 1 strata branch "a..b"
  expect_match "invalid branch name .a\.\.b." "$(err)"
  expect_fail 1 strata branch x nope
  expect_match "unknown revision .nope." "$(err)"
  expect_fail 1 strata branch -f main main~1
  expect_match "current branch" "$(err)"
  expect_fail 2 strata branch -d
  expect_fail 2 strata branch -f
  expect_repo_unchanged
  strata branch -f old main >/dev/null
  expect_eq "$(sgit rev-parse main)" "$(sgit rev-parse old)"
'

test_expect_success 'branch -d: merged goes, unmerged and current are refused, -D forces' '
  cd r
  expect_eq "deleted branch '\''old'\'' (was $(sgit rev-parse --short=12 old))" "$(strata branch -d old)"
  expect_eq "" "$(sgit branch --list old)"
  snapshot_repo
  expect_fail 1 strata branch -d feat
  expect_eq "strata: error: branch '\''feat'\'' is not merged into '\''main'\'': deleting it would lose 2 versions (use -D to delete it anyway)" "$(err)"
  expect_fail 1 strata branch -D main
  expect_match "cannot delete branch .main.: it is the current branch" "$(err)"
  expect_fail 1 strata branch -d nope
  expect_match "no branch .nope." "$(err)"
  expect_repo_unchanged
  strata branch -D feat --json >gone.json
  expect_eq 2 "$(jpath "d[\"ahead\"]" <gone.json)"
  expect_eq "" "$(sgit branch --list feat)"
'

test_expect_success 'switch: HEAD names the branch; writes go there; git agrees' '
  cd r
  strata branch dev >/dev/null
  expect_eq "switched to branch '\''dev'\''" "$(strata switch dev)"
  expect_eq "refs/heads/dev" "$(sgit symbolic-ref HEAD)"
  expect_eq "* dev" "$(sgit branch | grep "^\*")"
  strata set a /w 1 >/dev/null
  expect_eq "1" "$(strata get a /w)"
  expect_fail 1 strata get a@main /w
  expect_eq "already on '\''dev'\''" "$(strata switch dev)"
'

test_expect_success 'switch to a missing branch says so and suggests -c; -c creates' '
  cd r
  snapshot_repo
  expect_fail 1 strata switch nope
  expect_eq "strata: error: no branch '\''nope'\'' (use -c to create it: strata switch -c nope)" "$(err)"
  expect_fail 1 strata switch -c main
  expect_match "branch .main. already exists" "$(err)"
  expect_fail 2 strata switch main HEAD
  expect_fail 2 strata switch
  expect_repo_unchanged
  strata switch -c fix main --json >s.json
  expect_eq "{\"branch\":\"fix\",\"changed\":true,\"created\":true,\"previous\":\"dev\",\"version\":\"$(sgit rev-parse main)\"}" "$(jpath d <s.json)"
  expect_eq "refs/heads/fix" "$(sgit symbolic-ref HEAD)"
  expect_eq "$(sgit rev-parse main)" "$(sgit rev-parse fix)"
'

test_expect_success 'the reflog records the moves; git fsck --strict is clean' '
  cd r
  expect_match "switch: moving from dev to fix" "$(sgit reflog show HEAD | head -n 1)"
  sgit fsck --strict >fsck.out 2>&1
  expect_eq "" "$(grep -iE "error|warning|missing|broken" fsck.out)"
  strata verify >/dev/null
'

test_expect_success '.merge: strata put takes valid policies, refuses bad ones with the reason' '
  cd r
  echo "{\"policies\":[{\"doc\":\"**\",\"path\":\"/n\",\"strategy\":\"max\"}]}" | strata put .merge >/dev/null
  expect_eq "\"max\"" "$(strata get .merge /policies/0/strategy)"
  snapshot_repo
  echo "{\"policies\":[{\"doc\":\"**\",\"path\":\"/n\",\"strategy\":\"maxx\"}]}" >bad.json
  expect_fail 1 strata put .merge bad.json
  expect_match "policies\[0\]\.strategy: unknown strategy .maxx. \(conflict, ours, theirs, latest, max, min, union, by-key\)" "$(err)"
  expect_fail 1 strata set .merge /policies/0/key "\"id\""
  expect_match "policies\[0\]\.key: only strategy .by-key. takes a key" "$(err)"
  expect_repo_unchanged
'

test_done
