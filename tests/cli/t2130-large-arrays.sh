#!/usr/bin/env bash
# Large arrays (format 2), 16-way shards (format 3) and leaves (format 4):
# array nodes and leaves that `git fsck --strict` accepts, edited element by
# element with few new objects; a format-1 repository keeps blobs, a format-2
# one 256-way shards, a format-3 one a blob per member, until `strata
# upgrade`, which re-encodes each branch in one version; a newer format is
# refused on open.
. "$(dirname "$0")/lib.sh"

# big_array N: a JSON array of N small objects.
big_array() {
  python3 -c 'import json,sys; n=int(sys.argv[1]); print(json.dumps([{"id": i, "name": "item%d" % i} for i in range(n)]))' "$1"
}

test_expect_success 'a large array is an array node that git fsck --strict accepts' '
  new_repo r1
  sgit config strata.gcAuto 0
  big_array 20000 >a.json
  strata put list a.json >/dev/null
  expect_eq "4" "$(sgit config strata.formatVersion)" &&
  expect_eq "tree" "$(sgit cat-file -t "main:state/list%[")" &&
  strata get list >back.json &&
  expect_eq "$(python3 -c "import json; print(json.load(open(\"a.json\")) == json.load(open(\"back.json\")))")" True &&
  expect_eq "{\"id\":123,\"name\":\"item123\"}" "$(strata get list /123 --compact)" &&
  sgit fsck --strict >fsck.out 2>&1 &&
  expect_no_match "error|warning" "$(cat fsck.out)"
'

test_expect_success 'one element inserted writes few new objects and bytes' '
  cd r1
  old=$(sgit rev-parse main)
  echo "[{\"op\":\"add\",\"path\":\"/list/10000\",\"value\":{\"id\":-1}}]" >p.json
  strata patch p.json >/dev/null
  new=$(sgit rev-parse main)
  n=$(sgit rev-list --objects "$new" "^$old" | wc -l)
  [ "$n" -le 32 ] || { echo "FAIL: $n new objects"; false; } &&
  bytes=$(sgit rev-list --objects "$new" "^$old" | cut -d" " -f1 | sgit cat-file --batch-check="%(objectsize)" | awk "{s+=\$1} END {print s}")
  [ "$bytes" -le 262144 ] || { echo "FAIL: $bytes new bytes"; false; } &&
  expect_eq "{\"id\":-1}" "$(strata get list /10000 --compact)" &&
  sgit fsck --strict >fsck.out 2>&1 &&
  expect_no_match "error|warning" "$(cat fsck.out)"
'

test_expect_success 'format 1 keeps blobs; upgrade re-encodes every branch as format 4 writes' '
  new_repo r2
  sgit config strata.formatVersion 1
  big_array 5000 >a.json
  strata put list a.json >/dev/null
  strata branch other >/dev/null
  expect_eq "blob" "$(sgit cat-file -t main:state/list)" &&
  snapshot_repo &&
  strata upgrade --dry-run --json >dry.json &&
  expect_repo_unchanged &&
  expect_eq "1" "$(jpath "d[\"from\"]" <dry.json)" &&
  expect_eq "[1,1]" "$(jpath "[b[\"documents\"] for b in d[\"branches\"]]" <dry.json)" &&
  strata upgrade >up.out &&
  expect_match "^main: re-encoded 1 document and the state.s trees in version" "$(cat up.out)" &&
  expect_match "^upgraded format 1 to 4" "$(cat up.out)" &&
  expect_eq "4" "$(sgit config strata.formatVersion)" &&
  expect_eq "upgrade to format 4" "$(sgit log -1 --format=%s other)" &&
  expect_eq "tree" "$(sgit cat-file -t "other:state/list%[")" &&
  cd "$TRASH" && new_repo r3 && strata put list ../r2/a.json >/dev/null &&
  expect_eq "$(sgit rev-parse main:state)" "$(git --git-dir ../r2/.strata rev-parse main:state)" &&
  cd ../r2 &&
  expect_eq "already at format 4; nothing to do" "$(strata upgrade)" &&
  sgit fsck --strict >fsck.out 2>&1 &&
  expect_no_match "error|warning" "$(cat fsck.out)"
'

test_expect_success 'format 2 keeps 256-way shards; upgrade shards 16 ways as format 4 writes' '
  new_repo r5
  sgit config strata.formatVersion 2
  python3 -c "import json; [print(json.dumps({\"id\": \"d%d\" % i, \"doc\": {\"v\": i}})) for i in range(600)]" >docs.jsonl
  strata import docs.jsonl >/dev/null
  expect_eq 3 "$(sgit ls-tree --name-only main:state | head -1 | tr -d "\n" | wc -c)" &&
  strata upgrade --json >up.json &&
  expect_eq "[0]" "$(jpath "[b[\"documents\"] for b in d[\"branches\"]]" <up.json)" &&
  expect_eq "[true]" "$(jpath "[b[\"rewritten\"] for b in d[\"branches\"]]" <up.json)" &&
  expect_eq 2 "$(sgit ls-tree --name-only main:state | head -1 | tr -d "\n" | wc -c)" &&
  expect_eq 2 "$(sgit ls-tree --name-only main:meta | head -1 | tr -d "\n" | wc -c)" &&
  expect_eq "" "$(strata diff main~1 main)" &&
  cd "$TRASH" && new_repo r6 && strata import ../r5/docs.jsonl >/dev/null &&
  expect_eq "$(sgit rev-parse main:state)" "$(git --git-dir ../r5/.strata rev-parse main:state)" &&
  cd ../r5 && strata set d7 /v 77 >/dev/null &&
  expect_eq "{\"v\":77}" "$(strata get d7 --compact)" &&
  sgit fsck --strict >fsck.out 2>&1 &&
  expect_no_match "error|warning" "$(cat fsck.out)"
'

test_expect_success 'a wide document is leaves; format 3 keeps a blob a member until upgraded' '
  new_repo r7
  sgit config strata.gcAuto 0
  sgit config strata.formatVersion 3
  python3 -c "import json; print(json.dumps({\"k%d\" % i: {\"name\": \"member %d\" % i, \"n\": i} for i in range(5000)}))" >wide.json
  strata put wide wide.json >/dev/null
  expect_eq 5000 "$(sgit ls-tree -r main:state | grep -c " blob ")" &&
  strata upgrade >up.out &&
  expect_match "^upgraded format 3 to 4" "$(cat up.out)" &&
  leaves=$(sgit ls-tree -r main:state | grep -c " blob ") &&
  [ "$leaves" -le 300 ] || { echo "FAIL: $leaves blobs"; false; } &&
  expect_eq 0 "$(sgit ls-tree -r main:state | awk "{print \$4}" | grep -vc "/\\.[0-9a-f]\$")" &&
  expect_eq "" "$(strata diff main~1 main)" &&
  cd "$TRASH" && new_repo r8 && strata put wide ../r7/wide.json >/dev/null &&
  expect_eq "$(sgit rev-parse main:state)" "$(git --git-dir ../r7/.strata rev-parse main:state)" &&
  old=$(sgit rev-parse main) &&
  strata set wide /k77/n 78 >/dev/null &&
  n=$(sgit rev-list --objects main "^$old" | wc -l) &&
  [ "$n" -le 12 ] || { echo "FAIL: $n new objects"; false; } &&
  strata diff "$old" main --json >diff.json &&
  expect_eq "[[\"replace\",\"/wide/k77/n\",78]]" "$(jpath "[[p[\"op\"], p[\"path\"], p[\"value\"]] for p in d[\"patch\"]]" <diff.json)" &&
  expect_eq "{\"n\":78,\"name\":\"member 77\"}" "$(strata get wide /k77 --compact)" &&
  strata branch feat >/dev/null && strata switch feat >/dev/null &&
  strata set wide /k2/n 22 >/dev/null && strata rm wide /k5 >/dev/null &&
  strata switch main >/dev/null && strata set wide /k1/n 11 >/dev/null &&
  strata merge feat >/dev/null &&
  expect_eq "[11,22,false,4999]" "$(strata get wide --compact | jpath "[d[\"k1\"][\"n\"], d[\"k2\"][\"n\"], \"k5\" in d, len(d)]")" &&
  strata verify >/dev/null &&
  sgit fsck --strict >fsck.out 2>&1 &&
  expect_no_match "error|warning" "$(cat fsck.out)"
'

test_expect_success 'a document of 50,000 members prints as sorted JSON, compact and indented' '
  new_repo r9
  cat >make.py <<\EOF &&
import json, sys
d = {"key%06d" % (i * 7919 % 50000): "v" * (i % 30) + str(i) for i in range(50000)}
d.update({"esc\"aped\\": 1, "caf\u00e9": {"n": [1, 2.5]}, "": None})
json.dump(d, open(sys.argv[1], "w"))
EOF
  cat >sorted.py <<\EOF &&
import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2] == "compact":
    out = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
else:
    out = json.dumps(d, sort_keys=True, indent=2, ensure_ascii=False)
sys.stdout.write(out + "\n")
EOF
  python3 make.py big.json &&
  strata put big big.json >/dev/null &&
  strata get big --compact >compact.out &&
  python3 sorted.py big.json compact >compact.expect &&
  cmp compact.out compact.expect &&
  strata get big --pretty >pretty.out &&
  python3 sorted.py big.json pretty >pretty.expect &&
  cmp pretty.out pretty.expect
'

test_expect_success 'a repository of a newer format is refused' '
  new_repo r4
  sgit config strata.formatVersion 5
  expect_fail 1 strata ls &&
  expect_match "format version 5; this strata reads versions 1 to 4" "$(err)"
'

test_done
