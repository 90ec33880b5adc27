#!/usr/bin/env bash
# Content addressing: the state id is a function of the state alone;
# structural sharing: a one-field version writes a few small objects.
. "$(dirname "$0")/lib.sh"

state_id() { strata show --json "${1:-HEAD}" | grep -o "\"state\":\"[0-9a-f]*\"" | tail -n 1 | cut -d"\"" -f4; }

test_expect_success 'two histories reaching one state give one state id' '
  new_repo one >/dev/null
  echo "{\"a\":1,\"b\":[1,2]}" | strata put config/app1 - >/dev/null
  strata set config/app1 /c "\"x\"" >/dev/null
  strata set other /k true >/dev/null
  strata rm config/app1 /a >/dev/null
  strata set tmp /t 1 >/dev/null
  strata rm tmp >/dev/null
  s1=$(state_id)
  new_repo "$TRASH/two" >/dev/null
  printf "{\"id\":\"other\",\"doc\":{\"k\":true}}\n{\"id\":\"config/app1\",\"doc\":{\"c\":\"x\",\"b\":[1.0,2]}}\n" | strata import - >/dev/null
  s2=$(state_id)
  expect_eq "$s1" "$s2"
  expect_ne "$(git --git-dir "$TRASH/one/.strata" rev-parse main)" "$(sgit rev-parse main)" "different versions"
'

test_expect_success 'the state id is the id of the version'"'"'s state tree' '
  cd one
  expect_eq "$(sgit rev-parse main:state)" "$(state_id)"
'

test_expect_success 'coming back to an earlier state gives the earlier id' '
  cd one
  before=$(state_id)
  strata set other /k false >/dev/null
  expect_ne "$before" "$(state_id)"
  strata set other /k true >/dev/null
  expect_eq "$before" "$(state_id)"
  expect_eq "" "$(strata diff HEAD~2 HEAD)"
'

test_expect_success 'large states (sharded) in different orders give one id' '
  new_repo big1 >/dev/null
  for i in $(seq 1 700); do echo "{\"id\":\"docs/d$i\",\"doc\":{\"i\":$i}}"; done >"$TRASH/all.jsonl"
  strata import "$TRASH/all.jsonl" >/dev/null
  new_repo "$TRASH/big2" >/dev/null
  tac "$TRASH/all.jsonl" | sed -n "1,350p" | strata import - >/dev/null
  tac "$TRASH/all.jsonl" | sed -n "351,700p" | strata import - >/dev/null
  strata set docs/d5 /i 0 >/dev/null
  strata set docs/d5 /i 5 >/dev/null
  s2=$(state_id)
  cd "$TRASH/big1"
  expect_eq "$(state_id)" "$s2"
'

test_expect_success 'large documents (trees) built in different orders give one id' '
  new_repo wide1 >/dev/null
  python3 -c "
import json
print(json.dumps({\"k%04d\" % i: {\"v\": i, \"pad\": \"x\" * 20} for i in range(600)}))" >"$TRASH/wide.json"
  strata put wide "$TRASH/wide.json" >/dev/null
  new_repo "$TRASH/wide2" >/dev/null
  strata set wide /k0000 0 >/dev/null
  python3 -c "
import json
d = {\"k%04d\" % i: {\"v\": i, \"pad\": \"x\" * 20} for i in reversed(range(600))}
print(json.dumps([{\"op\": \"add\", \"path\": \"/wide/\" + k, \"value\": v} for k, v in d.items()]))" >"$TRASH/wide-patch.json"
  strata patch "$TRASH/wide-patch.json" >/dev/null
  expect_eq tree "$(sgit cat-file -t main:state/wide)"
  s2=$(state_id)
  cd "$TRASH/wide1"
  expect_eq "$(state_id)" "$s2"
'

test_expect_success 'a one-field change in a large state writes few small objects' '
  cd big1
  old=$(sgit rev-parse main)
  strata set docs/d123 /i 0 --json >w.json
  n=$(sgit rev-list --objects main "^$old" | wc -l)
  test "$n" -le 32
  test "$n" -ge 3
  bytes=$(sgit rev-list --objects main "^$old" | cut -d" " -f1 | sgit cat-file --batch-check="%(objectsize)" | awk "{s += \$1} END {print s}")
  test "$bytes" -le 262144
  written=$(grep -o "\"objects_written\":[0-9]*" w.json | cut -d: -f2)
  test "$written" -le 32
  test "$written" -ge 3
'

test_expect_success 'unchanged documents keep their object ids across versions' '
  cd big1
  expect_ne "$(sgit rev-parse main~1:state)" "$(sgit rev-parse main:state)"
  a=$(sgit ls-tree -r main~1 -- state | grep -v "d123" | sort)
  b=$(sgit ls-tree -r main -- state | grep -v "d123" | sort)
  expect_eq "$(echo "$a" | wc -l)" "$(echo "$b" | wc -l)"
  # every blob but the changed document and the trees above it is shared
  shared=$(comm -12 <(echo "$a" | grep blob) <(echo "$b" | grep blob) | wc -l)
  expect_eq "$(echo "$a" | grep -c blob)" "$shared"
'

test_done
