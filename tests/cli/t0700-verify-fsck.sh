#!/usr/bin/env bash
# verify and git fsck on a mixed history; corruption is detected.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'build a mixed history: put, set, rm, patch, import' '
  cd r
  echo "{\"a\":1,\"list\":[1,2,3]}" | strata put doc1 - >/dev/null
  strata set doc1 /b/c "\"x\"" --label l >/dev/null
  strata set cfg/app1 /db/host "\"h\"" >/dev/null
  strata rm doc1 /list/1 >/dev/null
  echo "[{\"op\":\"add\",\"path\":\"/doc2\",\"value\":{\"k\":[]}},{\"op\":\"move\",\"from\":\"/doc1/a\",\"path\":\"/cfg~1app1/a\"}]" | strata patch - >/dev/null
  for i in 1 2 3; do echo "{\"id\":\"imp/$i\",\"doc\":{\"i\":$i}}"; done >i.jsonl
  strata import i.jsonl >/dev/null
  strata rm doc2 >/dev/null
  expect_eq 7 "$(count_versions)"
'

test_expect_success 'keys git cannot hold as names, in a document large enough to be a tree' '
  cd r
  python3 -c "
import json
d = {k: \"v\" * 40 for k in [\"\", \".\", \"..\", \".git\", \".GIT\", \"git~1\", \"a/b\", \"%\", \"%2E\", \"~\", \"\\\\\", \"\\u0000\", \"\\u001f\", \"\\u200c.git\", \"\\ufeff.git\", \"é\", \"x\" * 300]}
for i in range(300): d[\"k%d\" % i] = i
print(json.dumps(d))
" >keys.json
  strata put keys keys.json >/dev/null
  # the document is stored as a tree, not one blob
  expect_eq tree "$(sgit cat-file -t main:state/keys)"
  strata get keys >got.json
  python3 -c "import json,sys; a=json.load(open(\"keys.json\")); b=json.load(open(\"got.json\")); assert a == b"
  expect_eq "\"$(printf "v%.0s" $(seq 40))\"" "$(strata get keys /a~1b)"
  strata set keys /.git "\"changed\"" >/dev/null
  expect_eq "\"changed\"" "$(strata get keys /.git)"
'

test_expect_success 'verify passes on a sound repository (exit 0, exact line)' '
  cd r
  out=$(strata verify)
  expect_match "^ok: 9 versions and [0-9]+ objects checked, 0 problems$" "$out"
  strata verify --json >v.json
  expect_eq "[true,[],9]" "$(jpath "[d[\"ok\"], d[\"problems\"], d[\"versions\"]]" <v.json)"
'

test_expect_success 'git fsck --strict is clean' '
  cd r
  sgit fsck --strict --no-progress --no-dangling >fsck.out 2>&1
  expect_eq "" "$(cat fsck.out)"
'

test_expect_success 'git clone of the repository works, and strata reads the clone' '
  git clone -q --bare r/.strata clone.git 2>/dev/null
  expect_eq "$(git --git-dir r/.strata rev-parse main)" "$(git --git-dir clone.git rev-parse main)"
  expect_eq "$(strata --repo r get cfg/app1)" "$(strata --repo clone.git get cfg/app1)"
  strata --repo clone.git verify >/dev/null
'

# Regression: the commits of refs/notes/strata-labels (labels added later)
# were checked as versions ("has no state tree"), so verify failed on every
# repository with an added label.
test_expect_success 'labels added later: verify checks their commits, not as versions' '
  rm -rf lab; cp -a r lab; cd lab
  strata label HEAD~1 reviewed >/dev/null
  strata label HEAD~1 second >/dev/null
  strata label HEAD --remove second >/dev/null 2>&1 || true
  out=$(strata verify)
  expect_match "^ok: 9 versions and [0-9]+ objects checked, 0 problems$" "$out"
  # a labels commit whose tree is gone is named as such
  notes_tree=$(sgit rev-parse refs/notes/strata-labels^{tree})
  sgit cat-file -e "$notes_tree"
  f=".strata/objects/${notes_tree:0:2}/${notes_tree:2}"
  test -f "$f"
  rm -f "$f"
  rc=0; strata verify >out 2>errout || rc=$?
  expect_eq 1 "$rc"
  expect_match "labels commit [0-9a-f]{40}: tree $notes_tree .* is missing" "$(cat out errout)"
'

# explode: every pack of the repository here unpacked into loose objects, as
# git or an older strata leaves them (strata writes versions as packs): the
# tests below damage loose files, which strata reads itself.
explode() {
  local held
  held=$(mktemp -d "$TRASH/packs.XXXXXX")
  mv .strata/objects/pack/pack-* "$held"/
  for p in "$held"/*.pack; do sgit unpack-objects -q <"$p"; done
  rm -rf "$held"
}
# corrupt_copy NAME: a copy of r to damage, its objects loose.
corrupt_copy() { rm -rf "$1"; cp -a r "$1"; cd "$1"; explode; }
# loose_path ID: the loose object file of ID.
loose_path() { echo ".strata/objects/${1:0:2}/${1:2}"; }

test_expect_success 'an object overwritten with another object'"'"'s bytes: verify exits 1' '
  corrupt_copy c1
  victim=$(sgit rev-parse main:state/cfg%2Fapp1)
  donor=$(sgit rev-parse main:state/imp%2F1)
  test -f "$(loose_path $victim)"
  test -f "$(loose_path $donor)"
  chmod u+w "$(loose_path $victim)"
  cp "$(loose_path $donor)" "$(loose_path $victim)"
  rc=0; strata verify >out 2>errout || rc=$?
  expect_eq 1 "$rc"
  expect_match "$victim|${victim:0:12}" "$(cat out errout)"
  rc=0; strata verify --json >v.json 2>/dev/null || rc=$?
  expect_eq 1 "$rc"
  expect_eq false "$(jpath "str(d[\"ok\"]).lower()" <v.json)"
  test "$(jpath "len(d[\"problems\"])" <v.json)" -ge 1
'

test_expect_success 'an object truncated to nothing: verify exits 1' '
  corrupt_copy c2
  victim=$(sgit rev-parse main:delta.zst)
  f=$(loose_path $victim)
  test -f "$f"
  chmod u+w "$f"
  : >"$f"
  rc=0; strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc"
'

test_expect_success 'a missing object that a delta replay reads: verify exits 1' '
  corrupt_copy c3
  # doc1 as it was before the patch moved /a out of it: the patch replay reads it.
  victim=$(sgit rev-parse main~5:state/doc1)
  test -f "$(loose_path $victim)"
  rm "$(loose_path $victim)"
  rc=0; strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc"
'

test_expect_success 'a version whose delta does not give its state: verify exits 1' '
  corrupt_copy c4
  # Give main a commit with the state of main but the delta of main~1.
  tree=$( { sgit ls-tree main | grep -v "	delta.zst$"; sgit ls-tree main~1 | grep "	delta.zst$"; } | sgit mktree)
  bad=$(sgit -c user.name=x -c user.email=x@x commit-tree "$tree" -p main~1 -m "forged")
  sgit update-ref refs/heads/main "$bad"
  rc=0; strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc"
  expect_match "${bad:0:12}" "$(cat out)"
'

test_expect_success 'damage on another branch or tag is found too' '
  corrupt_copy c5
  tree=$( { sgit ls-tree main | grep -v "	delta.zst$"; sgit ls-tree main~2 | grep "	delta.zst$"; } | sgit mktree)
  bad=$(sgit -c user.name=x -c user.email=x@x commit-tree "$tree" -p main~1 -m "forged")
  sgit tag forged "$bad"
  rc=0; strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc"
'

test_expect_success 'an object no delta replay reads, overwritten: verify exits 1' '
  corrupt_copy c6
  # a document no later version touches: only a check of every object sees it
  victim=$(sgit rev-parse main:state/imp%2F2)
  donor=$(sgit rev-parse main:state/imp%2F3)
  chmod u+w "$(loose_path $victim)"
  cp "$(loose_path $donor)" "$(loose_path $victim)"
  rc=0; strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc"
'

test_expect_success 'the original repository still verifies' '
  cd r
  strata verify >/dev/null
'

test_expect_success 'verify finds a deleted document blob' '
  rm -rf c1; new_repo c1 >/dev/null
  strata set a /x 1 >/dev/null
  strata set b /y 1 >/dev/null
  strata set b /y 2 >/dev/null
  explode
  victim=$(sgit rev-parse main:state/a)
  rm ".strata/objects/${victim:0:2}/${victim:2}"
  # git sees it at once ...
  rc=0; sgit fsck --no-progress >/dev/null 2>&1 || rc=$?
  expect_ne 0 "$rc" "git fsck"
  # ... strata verify says "ok: 3 versions and N objects checked, 0 problems"
  rc=0; strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata verify: $(cat out)"
'

test_expect_success 'a truncated loose object is reported, never a hang (verify, show)' '
  rm -rf c3; new_repo c3 >/dev/null
  strata set a /x 1 >/dev/null
  strata set a /x 2 >/dev/null
  explode
  victim=$(sgit rev-parse main:delta.zst)
  f=".strata/objects/${victim:0:2}/${victim:2}"
  chmod u+w "$f"
  head -c 20 "$f" >t
  mv t "$f"
  # libgit2 1.5 loops forever in inflate on a truncated loose object
  # (libgit2/libgit2#7342, fixed by #7346); strata reads loose objects itself.
  rc=0; STRATA_TIMEOUT=10 strata verify >out 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata verify (124 = timed out)"
  rc=0; STRATA_TIMEOUT=10 strata show >out 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata show (124 = timed out)"
  expect_match "$victim.*damaged: truncated" "$(cat out)"
'

test_expect_success 'a truncated loose commit (the one HEAD names): every command fails naming it, never hangs' '
  rm -rf c7; new_repo c7 >/dev/null
  strata set a /x 1 >/dev/null
  strata set a /x 2 >/dev/null
  explode
  victim=$(sgit rev-parse HEAD)
  f=".strata/objects/${victim:0:2}/${victim:2}"
  test -f "$f"
  chmod u+w "$f"
  head -c 20 "$f" >t
  mv t "$f"
  snapshot_repo
  # libgit2 reads commits itself (revparse, commit lookup, revwalk); through
  # its own loose backend each of these looped forever (libgit2/libgit2#7342).
  # Under ASan, leak checks are off here: when the object lookup fails,
  # libgit2 (1.5.1, and upstream) leaks the reference revparse_lookup_object
  # resolved, about 900 bytes in a process that is exiting.
  for cmd in "log" "get a" "show" "diff HEAD~1 HEAD" "ls" "set a /x 3"; do
    # 124 would mean the command timed out
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
      expect_fail 1 timeout 20 "$STRATA" $cmd
    expect_match "$victim.*damaged: truncated" "$(err)"
  done
  expect_repo_unchanged
'

test_done
