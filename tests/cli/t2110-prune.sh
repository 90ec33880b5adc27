#!/usr/bin/env bash
# strata prune: squashes a branch's old versions into one base version,
# prints the plan first (--dry-run: only the plan), keeps tagged and
# labelled versions under archive refs, refuses remote history without
# --force, and leaves a repository that verifies, reads the same at every
# kept version, and lets gc reclaim the rest.
. "$(dirname "$0")/lib.sh"

# Six versions of doc on main, one a day from 2026-01-01; v1 has a label,
# v2 a tag. Automatic gc is off so object counts are this test's own.
make_repo() {
  new_repo "$1"
  sgit config strata.gcAuto 0
  for i in 0 1 2 3 4 5; do
    label=()
    [ "$i" = 1 ] && label=(--label audited)
    strata set doc /n "$i" -m "v$i" --date "2026-01-0$((i + 1))T12:00:00Z" "${label[@]}" >/dev/null
    strata set "d$i" /x "$i" -m "d$i" --date "2026-01-0$((i + 1))T13:00:00Z" >/dev/null
  done
  strata tag release main~7 >/dev/null
  cd "$TRASH"
}

# export_all DIR: every version of main, by position, into DIR/N.
export_all() {
  local n=0
  while read -r id; do
    strata export "$id" "$1/$n" >/dev/null
    n=$((n + 1))
  done < <(sgit rev-list --first-parent main)
}

objects() { sgit count-objects -v | awk '/^(count|in-pack):/ {n += $2} END {print n}'; }

test_expect_success '--dry-run prints the plan and changes nothing' '
  make_repo r
  cd r
  snapshot_repo
  strata prune --keep 4 --dry-run >out
  expect_repo_unchanged
  expect_match "^would prune main: 8 versions squashed into one base version, 4 kept" "$(cat out)"
  expect_match "^  base:   [0-9a-f]{12} state $(sgit rev-parse --short=12 main~4:state) \(the state of $(sgit rev-parse --short=12 main~4)\)$" "$(cat out)"
  expect_match "^  dates:  2026-01-01T12:00:00Z to 2026-01-04T13:00:00Z$" "$(cat out)"
  expect_match "^  removed from main \(8\):$" "$(cat out)"
  for id in $(sgit rev-list main~4); do
    expect_match "^    $(echo "$id" | cut -c1-12) 2026-01-0.T1.:00:00Z squashed " "$(cat out)"
  done
  expect_match "squashed v1 \[labels audited\] -> refs/strata/archive/main/$(sgit rev-parse main~9)$" "$(cat out)"
  expect_match "squashed v2 \[tags release\] -> refs/strata/archive/main/$(sgit rev-parse main~7)$" "$(cat out)"
  expect_match "^  archived: 2 version\(s\) under refs/strata/archive/main/$" "$(cat out)"
  expect_eq "dry run: nothing changed" "$(tail -n 1 out)"
'

test_expect_success 'prune --keep: same plan, then the kept versions read as before' '
  cd r
  export_all ../before
  old=$(sgit rev-list main~4)
  strata prune --keep 4 --dry-run --json >dry.json
  strata prune --keep 4 >out
  expect_match "^pruning main: 8 versions squashed into one base version, 4 kept" "$(cat out)"
  expect_match "^pruned: main is at $(sgit rev-parse --short=12 main) \(was" "$(tail -n 1 out)"
  expect_eq 5 "$(sgit rev-list --count main)"
  expect_eq "$(jpath "d[\"base\"][\"id\"]" <dry.json)" "$(sgit rev-parse main~4)" "the dry run planned this base"
  expect_eq "" "$(sgit log -1 --format=%P main~4)" "the base has no parent"
  export_all ../after
  for n in 0 1 2 3 4; do diff -r "../before/$n" "../after/$n"; done
  # The log says what was squashed.
  strata log -n 1 --json main~4 >base.json
  expect_match "^prune: 8 versions of main squashed into one \($(echo "$old" | tail -n 1 | cut -c1-12)\.\.$(echo "$old" | head -n 1 | cut -c1-12), 2026-01-01T12:00:00Z to 2026-01-04T13:00:00Z\)" "$(jpath "d[0][\"message\"]" <base.json)"
  expect_match "^    Archived: 2 tagged or labelled versions, under refs/strata/archive/main/\.$" "$(strata show main~4)"
  # Kept versions: same messages, dates and authors.
  expect_eq "d5 v5 d4 v4" "$(strata log --json | jpath "\" \".join(v[\"message\"] for v in d[:4])")"
  expect_eq "2026-01-05T12:00:00Z" "$(strata log --json | jpath "d[3][\"time\"]")"
  strata verify >/dev/null
  sgit fsck --strict --no-dangling >/dev/null 2>&1
'

test_expect_success 'tagged and labelled versions stay reachable; gc reclaims the rest' '
  cd r
  tagged=$(sgit rev-parse release)
  labelled=$(sgit rev-parse release~2)
  expect_eq "$tagged" "$(sgit rev-parse refs/strata/archive/main/$tagged)"
  expect_eq "$labelled" "$(sgit rev-parse refs/strata/archive/main/$labelled)"
  expect_eq "audited" "$(strata log --json -n 1 refs/strata/archive/main/$labelled | jpath "d[0][\"labels\"][0]")"
  cut=$(jpath "d[\"cut\"]" <dry.json)
  sgit cat-file -e "$cut"
  before=$(objects)
  strata gc --prune now >/dev/null
  after=$(objects)
  echo "objects: $before before gc, $after after" >"$TRASH/objects.txt"
  test "$after" -lt "$before"
  ! sgit cat-file -e "$cut" 2>/dev/null
  expect_eq 2 "$(strata get doc@release /n)"
  expect_eq 5 "$(strata get doc /n)"
  strata verify >/dev/null
  sgit fsck --strict --no-dangling >/dev/null 2>&1
'

# The figures, in the TAP output.
[ -f "$TRASH/objects.txt" ] && echo "# $(cat "$TRASH/objects.txt")"

test_expect_success 'prune --before DATE squashes what log --since DATE leaves out' '
  make_repo b
  cd b
  expect_eq 6 "$(strata log --since 2026-01-04 --json | jpath "len(d)")"
  strata prune --before 2026-01-04 --json >out.json
  expect_eq 6 "$(jpath "d[\"squashed\"]" <out.json)"
  expect_eq 6 "$(jpath "len(d[\"rewritten\"])" <out.json)"
  expect_eq 7 "$(sgit rev-list --count main)"
  expect_eq 2 "$(strata get doc@main~6 /n)"
'

test_expect_success 'history a remote has is refused without --force' '
  make_repo c
  cd c
  sgit update-ref refs/remotes/origin/main main~3
  snapshot_repo
  expect_fail 1 strata prune --keep 2
  expect_match "^strata: error: remote .origin. already has versions of main that prune would rewrite \(origin/main is at $(sgit rev-parse --short=12 main~3)," "$(err)"
  expect_match "--force would prune anyway: origin/main keeps the old history" "$(err)"
  expect_repo_unchanged
  strata prune --keep 2 --force >out
  expect_match "^  --force: origin/main keeps the old history$" "$(cat out)"
  expect_eq 3 "$(sgit rev-list --count main)"
'

test_expect_success 'bad input: exit 2 for usage, 1 for an unknown branch, nothing changed' '
  cd c
  snapshot_repo
  expect_fail 2 strata prune
  expect_eq "strata: error: prune needs exactly one of --keep N and --before DATE" "$(err)"
  expect_fail 2 strata prune --keep 1 --before 2026-01-01
  expect_eq "strata: error: prune needs exactly one of --keep N and --before DATE" "$(err)"
  expect_fail 2 strata prune --keep 0
  expect_eq "strata: error: --keep must be 1 or more, not 0" "$(err)"
  expect_fail 2 strata prune --before yesterday-ish
  expect_match "^strata: error: --before: " "$(err)"
  expect_fail 1 strata prune --keep 1 --branch nope
  expect_eq "strata: error: no branch '"'"'nope'"'"'" "$(err)"
  expect_eq "nothing to prune: every version of main is among the newest 10" "$(strata prune --keep 10)"
  expect_repo_unchanged
'

test_expect_success 'killed at each step: the branch names the old history or the new, and it verifies' '
  for step in written moved done; do
    make_repo "k-$step"
    cd "k-$step"
    old=$(sgit rev-parse main)
    export_all "../k-$step-before"
    rc=0
    STRATA_PRUNE_TEST_STOP=$step strata prune --keep 3 >/dev/null || rc=$?
    expect_eq 137 "$rc" "killed at $step"
    strata verify >/dev/null
    sgit fsck --strict --no-dangling >/dev/null 2>&1
    case $step in
      written) expect_eq "$old" "$(sgit rev-parse main)" "killed at $step: the old history"
               expect_eq 12 "$(sgit rev-list --count main)" ;;
      *) expect_ne "$old" "$(sgit rev-parse main)" "killed at $step: the new history"
         expect_eq 4 "$(sgit rev-list --count main)" ;;
    esac
    # What the killed prune left behind does not hold the next one up.
    strata prune --keep 3 >/dev/null || true
    expect_eq 4 "$(sgit rev-list --count main)"
    export_all "../k-$step-after"
    for n in 0 1 2 3; do diff -r "../k-$step-before/$n" "../k-$step-after/$n"; done
    cd "$TRASH"
  done
'

test_expect_success 'a merge in progress refuses' '
  new_repo m
  strata set a /x 1 >/dev/null
  strata set a /x 2 >/dev/null
  strata branch feat >/dev/null
  strata set a /x 3 --branch feat >/dev/null
  strata set a /x 4 >/dev/null
  strata merge feat >/dev/null 2>&1 || true
  sgit rev-parse --verify -q refs/strata/merge/main >/dev/null
  snapshot_repo
  expect_fail 1 strata prune --keep 1
  expect_match "^strata: error: a merge of .feat. into main is in progress" "$(err)"
  expect_repo_unchanged
'

test_done
