#!/usr/bin/env bash
# Concurrent writers at scale (issue 12): STRATA_WRITERS processes (8) each
# write STRATA_WRITERS_VERSIONS versions (25 here; 500 for the long run in
# docs/reliability.md) to one branch, in three variants: different documents,
# different values of one document, the same value of one document. A ninth
# writer patches two documents to one counter, and two reader loops read
# while they write. writers_check.py replays the history against a model:
# every acknowledged write is there once, in its writer's order, nothing is
# lost, each process was told the truth, and every read saw a whole version.
#
#   STRATA_WRITERS_VERSIONS=500 STRATA=build/cli/strata bash tests/cli/t1020-writers-scale.sh
. "$(dirname "$0")/lib.sh"

WRITERS=${STRATA_WRITERS:-8}
VERSIONS=${STRATA_WRITERS_VERSIONS:-25}
CHECK="python3 $TEST_SRC_DIR/writers_check.py"

# write_loop NAME N CMD...: wait for the start signal, then run `strata CMD
# --json -m "NAME iI"` N times (I in CMD becomes the run number), appending
# "NAME I RC JSON" to NAME.log for each.
write_loop() {
  local name=$1 n=$2 i rc out
  shift 2
  : >"$name.log"
  while [ ! -e go ]; do sleep 0.01; done
  for i in $(seq "$n"); do
    rc=0
    out=$(strata "${@//I/$i}" --json -m "$name i$i" 2>>"$name.err") || rc=$?
    printf '%s %s %s %s\n' "$name" "$i" "$rc" "${out:-null}" >>"$name.log"
  done
}

# read_loop NAME DOC: until `stop` exists, read in turn: get DOC, ls, log -n1
# and an export of the pair, appending "KIND RC JSON" to NAME.reads.
read_loop() {
  local name=$1 doc=$2 rc out n=0 dir
  : >"$name.reads"
  while [ ! -e go ]; do sleep 0.01; done
  while [ ! -e stop ]; do
    n=$((n + 1))
    rc=0
    out=$(strata get "$doc" --json 2>>"$name.err") || rc=$?
    printf 'get:%s %s %s\n' "$doc" "$rc" "${out:-null}" >>"$name.reads"
    rc=0
    out=$(strata ls --json 2>>"$name.err") || rc=$?
    printf 'ls %s %s\n' "$rc" "${out:-null}" >>"$name.reads"
    rc=0
    out=$(strata log -n1 --json 2>>"$name.err") || rc=$?
    printf 'log %s %s\n' "$rc" "${out:-null}" >>"$name.reads"
    # One export is one snapshot: both documents of the pair come from it.
    dir=$name.x$n
    rc=0
    out=$(strata export main "$dir" --json 2>>"$name.err") || rc=$?
    if [ "$rc" = 0 ]; then
      out="{\"version\":\"$(grep -o '"version":"[0-9a-f]*"' <<<"$out" | cut -d'"' -f4)\",\"pa\":$(tr -d ' \n' <"$dir/pa.json"),\"pb\":$(tr -d ' \n' <"$dir/pb.json")}"
    fi
    printf 'export %s %s\n' "$rc" "${out:-null}" >>"$name.reads"
    rm -rf "$dir"
  done
}

# run_variant VARIANT READ_DOC CMD...: a fresh repository, one base version,
# WRITERS writers running CMD (W in CMD becomes the writer's name) plus the
# pair writer and two readers; then the checks.
run_variant() {
  local variant=$1 doc=$2 w start end pids=()
  shift 2
  new_repo "$variant"
  # The base version: every document the writers and readers touch.
  {
    printf "["
    for w in $(seq "$WRITERS"); do printf "{\"op\":\"add\",\"path\":\"/w%s\",\"value\":{\"v\":0}}," "$w"; done
    printf "{\"op\":\"add\",\"path\":\"/pa\",\"value\":{\"v\":0}},{\"op\":\"add\",\"path\":\"/pb\",\"value\":{\"v\":0}},"
    printf "{\"op\":\"add\",\"path\":\"/shared\",\"value\":{}},{\"op\":\"add\",\"path\":\"/same\",\"value\":{\"v\":0}}]\n"
  } >base.json
  strata patch base.json -m base >/dev/null
  echo "[{\"op\":\"replace\",\"path\":\"/pa/v\",\"value\":I},{\"op\":\"replace\",\"path\":\"/pb/v\",\"value\":I}]" >pair.tmpl
  for i in $(seq "$VERSIONS"); do sed "s/I/$i/g" pair.tmpl >pair.$i.json; done
  rm -f go stop
  for w in $(seq "$WRITERS"); do
    write_loop "w$w" "$VERSIONS" "${@//W/w$w}" &
    pids+=($!)
  done
  write_loop pair "$VERSIONS" patch pair.I.json &
  pids+=($!)
  read_loop r1 "$doc" &
  read_loop r2 pa &
  start=$(date +%s.%N)
  touch go
  # Wait for the writers (the readers run until `stop`).
  wait "${pids[@]}"
  end=$(date +%s.%N)
  touch stop
  wait
  strata log --reverse -p --json >history.json
  cat r1.reads r2.reads >reads.log
  $CHECK "$variant" history.json w*.log pair.log --reads reads.log | tee check.out
  awk -v s="$start" -v e="$end" -v n=$(((WRITERS + 1) * VERSIONS)) \
    "BEGIN { printf \"# %s: %d writes in %.1f s, %.0f writes/s\n\", \"$variant\", n, e - s, n / (e - s) }" | tee -a check.out
  expect_eq "" "$(cat w*.err pair.err r1.err r2.err)" "stderr of writers and readers"
  strata verify >/dev/null
  sgit fsck --strict --no-progress --no-dangling >fsck.out 2>&1
  expect_eq "" "$(cat fsck.out)"
}

test_expect_success "$WRITERS x $VERSIONS writes to different documents: all land, none lost" '
  run_variant docs w1 set W /v I
  expect_eq $((1 + (WRITERS + 1) * VERSIONS)) "$(count_versions)"
  expect_match " 0 unchanged, 0 refused," "$(head -n 1 check.out)"
  for w in $(seq "$WRITERS"); do expect_eq "$VERSIONS" "$(strata get w$w /v)"; done
'

test_expect_success "$WRITERS x $VERSIONS writes to different values of one document: all land" '
  run_variant values shared set shared /W I
  expect_eq $((1 + (WRITERS + 1) * VERSIONS)) "$(count_versions)"
  expect_match " 0 unchanged, 0 refused," "$(head -n 1 check.out)"
  for w in $(seq "$WRITERS"); do expect_eq "$VERSIONS" "$(strata get shared /w$w)"; done
'

test_expect_success "$WRITERS x $VERSIONS writes of the same value: written or told unchanged" '
  run_variant same same set same /v I
  # Every write is a version or says unchanged; none is refused.
  summary=$(head -n 1 check.out)
  expect_match " 0 refused," "$summary"
  acked=$(sed -n "s/.* \([0-9]*\) acknowledged.*/\1/p" <<<"$summary")
  unchanged=$(sed -n "s/.* \([0-9]*\) unchanged.*/\1/p" <<<"$summary")
  expect_eq $(((WRITERS + 1) * VERSIONS)) $((acked + unchanged))
  expect_eq $((1 + acked)) "$(count_versions)"
'

# The checker itself must catch what it is there to catch.
test_expect_success 'the checker finds a lost write, a false unchanged and a torn read' '
  cd docs
  # A write acknowledged under an id that is not in history.
  sed "1s/\"id\":\"[0-9a-f]*\"/\"id\":\"0000000000000000000000000000000000000000\"/" w1.log >bad1.log
  test_must_fail=0
  $CHECK docs history.json bad1.log w2.log pair.log >bad.out || test_must_fail=1
  expect_eq 1 "$test_must_fail"
  expect_match "PROBLEM: w1 i1: acknowledged 0{40}" "$(cat bad.out)"
  # A write that said unchanged where it changed a value.
  sed "2s/ 0 .*/ 0 {\"unchanged\":true,\"version\":null}/" w1.log >bad2.log
  test_must_fail=0
  $CHECK docs history.json bad2.log >bad.out || test_must_fail=1
  expect_eq 1 "$test_must_fail"
  expect_match "PROBLEM: w1 i2: said unchanged, but is in history" "$(cat bad.out)"
  # An export that saw pa and pb of different versions.
  v=$(sgit rev-parse main)
  echo "export 0 {\"version\":\"$v\",\"pa\":{\"v\":1},\"pb\":{\"v\":2}}" >torn.reads
  test_must_fail=0
  $CHECK docs history.json --reads torn.reads >bad.out || test_must_fail=1
  expect_eq 1 "$test_must_fail"
  expect_match "PROBLEM: export of $v: pa" "$(cat bad.out)"
'

test_done
