#!/usr/bin/env bash
# Concurrent writers: the branch moves by compare-and-swap; no acknowledged
# version is ever lost; a writer either is replayed or refused cleanly.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
strata set base /v 0 >/dev/null
cd "$TRASH"

# writer NAME CMD...: wait for the start signal, run strata, and record its
# exit code, output and error in NAME.rc / NAME.out / NAME.err.
writer() {
  local name=$1
  shift
  while [ ! -e go ]; do sleep 0.01; done
  rc=0
  strata "$@" --json >"$name.out" 2>"$name.err" || rc=$?
  echo $rc >"$name.rc"
}

# acked_id NAME: the version id a writer with exit 0 reported.
# (The version object is the only one with an "id" member.)
acked_id() { grep -o '"id":"[0-9a-f]\{40\}"' "$1.out" | cut -d'"' -f4; }

test_expect_success '8 writers on different documents, 3 rounds: all written, none lost' '
  cd r
  base=$(count_versions)
  for round in 1 2 3; do
    rm -f go
    for i in 1 2 3 4 5 6 7 8; do writer w$round.$i set doc$i /v $round$i & done
    touch go
    wait
  done
  for round in 1 2 3; do
    for i in 1 2 3 4 5 6 7 8; do
      expect_eq 0 "$(cat w$round.$i.rc)" "writer $round.$i: $(cat w$round.$i.err)"
      id=$(acked_id w$round.$i)
      sgit merge-base --is-ancestor "$id" main
      expect_eq "$round$i" "$(strata get doc$i@$id /v)"
    done
  done
  expect_eq $((base + 24)) "$(count_versions)"
  expect_eq $((base + 24)) "$(strata log | wc -l)"
  for i in 1 2 3 4 5 6 7 8; do
    expect_eq "3$i" "$(strata get doc$i /v)"
  done
  expect_eq "3 3 3 3 3 3 3 3" "$(strata ls --json | jpath "\" \".join(str(e[\"versions\"]) for e in d if e[\"id\"].startswith(\"doc\"))")"
  strata verify >/dev/null
'

test_expect_success 'every version id in the log is distinct and the chain is linear' '
  cd r
  expect_eq "$(sgit rev-list main | wc -l)" "$(sgit rev-list main | sort -u | wc -l)"
  expect_eq 0 "$(sgit rev-list --min-parents=2 main | wc -l)"
'

test_expect_success '8 writers on different pointers of ONE document: all replayed, none lost' '
  cd r
  strata set shared /init 1 >/dev/null
  base=$(count_versions)
  rm -f go
  for i in 1 2 3 4 5 6 7 8; do writer s$i set shared /k$i $i & done
  touch go
  wait
  for i in 1 2 3 4 5 6 7 8; do
    expect_eq 0 "$(cat s$i.rc)" "writer $i: $(cat s$i.err)"
    sgit merge-base --is-ancestor "$(acked_id s$i)" main
  done
  expect_eq $((base + 8)) "$(count_versions)"
  expect_eq "{\"init\":1,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8}" "$(strata get shared)"
  strata verify >/dev/null
'

test_expect_success '8 writers on the SAME pointer: each is written or cleanly refused' '
  cd r
  for round in 1 2 3; do
    base=$(count_versions)
    rm -f go
    for i in 1 2 3 4 5 6 7 8; do writer x$round.$i set same /v $round$i & done
    touch go
    wait
    acked=0
    newest=""
    for i in 1 2 3 4 5 6 7 8; do
      rc=$(cat x$round.$i.rc)
      if [ "$rc" = 0 ]; then
        acked=$((acked + 1))
        id=$(acked_id x$round.$i)
        sgit merge-base --is-ancestor "$id" main
        expect_eq "$round$i" "$(strata get same@$id /v)"
      else
        expect_eq 1 "$rc" "writer $round.$i"
        expect_match "^strata: error: " "$(cat x$round.$i.err)"
        expect_eq 1 "$(wc -l <x$round.$i.err)"
        expect_eq "" "$(cat x$round.$i.out)"
      fi
    done
    test "$acked" -ge 1
    expect_eq $((base + acked)) "$(count_versions)" "round $round: versions = acknowledged writes"
    # The final value is the one the newest acknowledged version wrote: HEAD.
    head=$(sgit rev-parse main)
    for i in 1 2 3 4 5 6 7 8; do
      if [ "$(cat x$round.$i.rc)" = 0 ] && [ "$(acked_id x$round.$i)" = "$head" ]; then newest=$round$i; fi
    done
    expect_ne "" "$newest" "HEAD is an acknowledged write"
    expect_eq "$newest" "$(strata get same /v)"
  done
  strata verify >/dev/null
'

test_expect_success 'mixed concurrent writes (set, put, patch, import, rm): none lost' '
  cd r
  base=$(count_versions)
  printf "{\"id\":\"imp/a\",\"doc\":1}\n{\"id\":\"imp/b\",\"doc\":2}\n" >i.jsonl
  echo "[{\"op\":\"add\",\"path\":\"/pat\",\"value\":{\"p\":1}}]" >p.json
  echo "{\"put\":true}" >put.json
  rm -f go
  writer m1 set mset /v 1 &
  writer m2 put mput put.json &
  writer m3 patch p.json &
  writer m4 import i.jsonl &
  writer m5 rm doc8 &
  writer m6 set doc1 /extra "[1,2]" &
  touch go
  wait
  for i in 1 2 3 4 5 6; do expect_eq 0 "$(cat m$i.rc)" "writer m$i: $(cat m$i.err)"; done
  expect_eq $((base + 6)) "$(count_versions)"
  expect_eq 1 "$(strata get mset /v)"
  expect_eq "{\"put\":true}" "$(strata get mput)"
  expect_eq "{\"p\":1}" "$(strata get pat)"
  expect_eq 2 "$(strata get imp/b)"
  expect_fail 1 strata get doc8
  expect_eq "[1,2]" "$(strata get doc1 /extra)"
  strata verify >/dev/null
  sgit fsck --strict --no-progress --no-dangling >fsck.out 2>&1
  expect_eq "" "$(cat fsck.out)"
'

test_done
