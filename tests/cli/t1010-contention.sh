#!/usr/bin/env bash
# Writers at scale on one branch: they queue on the write lock, none gives
# up, and blind writes to the same value all land (the later one wins).
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
strata set shared /init 0 >/dev/null
cd "$TRASH"

# writer NAME N CMD...: wait for the start signal, then run `strata CMD`
# N times (NUM in CMD becomes the run number), recording each exit code in
# NAME.rc and each acknowledged version id in NAME.ids.
writer() {
  local name=$1 n=$2 i rc
  shift 2
  : >"$name.rc"
  : >"$name.ids"
  while [ ! -e go ]; do sleep 0.01; done
  for i in $(seq "$n"); do
    rc=0
    strata "${@//NUM/$i}" --json >"$name.out" 2>>"$name.err" || rc=$?
    echo "$rc" >>"$name.rc"
    if [ "$rc" = 0 ]; then grep -o '"id":"[0-9a-f]\{40\}"' "$name.out" | cut -d'"' -f4 >>"$name.ids"; fi
  done
}

test_expect_success '8 processes x 50 versions to different values of one document: all 400 land' '
  cd r
  base=$(count_versions)
  rm -f go
  for w in 1 2 3 4 5 6 7 8; do writer d$w 50 set shared /k$w NUM & done
  touch go
  wait
  for w in 1 2 3 4 5 6 7 8; do
    expect_eq 50 "$(grep -c "^0$" d$w.rc)" "writer $w: $(sort -u d$w.err | head -3)"
    expect_eq 50 "$(sort -u d$w.ids | wc -l)"
    expect_eq 50 "$(strata get shared /k$w)"
  done
  expect_eq $((base + 400)) "$(count_versions)"
  # Every acknowledged version is in history.
  sgit rev-list main >history
  for w in 1 2 3 4 5 6 7 8; do
    expect_eq 0 "$(sort d$w.ids | comm -23 - <(sort history) | wc -l)"
  done
  expect_eq 0 "$(sgit rev-list --min-parents=2 main | wc -l)"
  strata verify >/dev/null
'

test_expect_success '8 processes x 10 writes to the SAME value: all land, the newest wins' '
  cd r
  base=$(count_versions)
  rm -f go
  for w in 1 2 3 4 5 6 7 8; do writer s$w 10 set shared /same "${w}NUM" & done
  touch go
  wait
  for w in 1 2 3 4 5 6 7 8; do
    expect_eq 10 "$(grep -c "^0$" s$w.rc)" "writer $w: $(sort -u s$w.err | head -3)"
  done
  expect_eq $((base + 80)) "$(count_versions)"
  # HEAD is the last acknowledged write, and holds the value it wrote.
  head=$(sgit rev-parse main)
  expect_eq "$(strata get shared@$head /same)" "$(strata get shared /same)"
  expect_eq 1 "$(cat s*.ids | grep -c "^$head$")"
  strata verify >/dev/null
'

test_expect_success 'a reader during writes always sees a complete version' '
  cd r
  rm -f go
  writer bg 30 set shared /reader NUM &
  touch go
  for i in $(seq 30); do
    strata get shared --json >read.json
    v=$(jpath "d[\"version\"]" <read.json)
    expect_eq "$(strata get shared@$v --json | jpath "d[\"value\"]")" "$(jpath "d[\"value\"]" <read.json)"
  done
  wait
  expect_eq 30 "$(grep -c "^0$" bg.rc)"
'

test_done
