#!/usr/bin/env bash
# strata gc: packs, removes what it packed, keeps what is reachable or young,
# and a kill at any step (STRATA_GC_TEST_STOP, then random SIGKILLs) loses
# nothing: verify and git fsck --strict pass and every version reads back.
. "$(dirname "$0")/lib.sh"

have_strace=yes
command -v strace >/dev/null 2>&1 || have_strace=no
if [ "$have_strace" = no ] && [ -n "${STRATA_REQUIRE_SERVERS:-}" ]; then
  echo "not ok - strace is not installed (scripts/install-deps.sh installs it)"
  exit 1
fi

# A repository with versions on main, a tag, a label, and a deleted branch
# (unreachable versions). Automatic gc is off so the packs pile up.
make_repo() {
  rm -rf "$1"
  mkdir "$1"
  (
    cd "$1"
    strata init >/dev/null
    sgit config strata.gcAuto 0
    for i in 1 2 3 4 5; do strata set doc /n "$i" >/dev/null; done
    strata set big "/k$RANDOM" '{"a":[1,2,3],"s":"some text to compress"}' >/dev/null
    strata tag v1 HEAD~2 -m "release one" >/dev/null
    strata label HEAD~1 reviewed >/dev/null
    strata branch side >/dev/null
    strata set other /x 1 --branch side >/dev/null
    sgit rev-list main >../versions
  )
}

# Everything still there: verify, fsck, and each version of main readable.
check_sound() {
  strata verify >/dev/null
  sgit fsck --strict --no-dangling >/dev/null 2>&1
  local n=0
  while read -r id; do
    strata get "doc@$id" >/dev/null
    n=$((n + 1))
  done <../versions
  expect_eq 6 "$n" "versions read"
  expect_eq 4 "$(strata get doc@v1 /n)"
  expect_eq 1 "$(strata get other@side /x)"
}

count() { find .strata/objects/pack -name "*.$1" | wc -l; }

test_expect_success 'each write is one pack; gc packs them into one' '
  make_repo r
  cd r
  # Tags and labels are written loose (libgit2 composes them); versions as packs.
  loose=$(find .strata/objects -path "*/objects/??/*" -type f | wc -l)
  test "$loose" -ge 2
  packs=$(count pack)
  test "$packs" -ge 7
  strata gc --json >out.json
  python3 - "$packs" "$loose" <<EOF
import json, sys
r = json.load(open("out.json"))
packs, loose = int(sys.argv[1]), int(sys.argv[2])
assert r["ran"] is True, r
assert r["before"]["packs"] == packs and r["before"]["loose"] == loose, r
assert r["removed"]["loose"] == loose, r
assert r["removed"]["packs"] == packs, r
assert r["after"] == {"loose": 0, "packs": 1, "bytes": r["after"]["bytes"]}, r
assert r["after"]["bytes"] < r["before"]["bytes"], r
assert r["packed"] > 20 and r["pack"].startswith("pack-") and r["pack"].endswith(".pack"), r
EOF
  expect_eq 1 "$(count pack)"
  expect_eq 1 "$(count idx)"
  check_sound
'

test_expect_success 'gc removes the side files git wrote for a pack, and emptied fan-out folders' '
  make_repo side-files
  cd side-files
  test "$(find .strata/objects -path "*/objects/??" -type d | wc -l)" -ge 1
  base=$(ls .strata/objects/pack/pack-*.idx | head -1)
  base=${base%.idx}
  for ext in rev bitmap mtimes; do : >"$base.$ext"; done
  strata gc >/dev/null
  for ext in rev bitmap mtimes; do test ! -e "$base.$ext"; done
  expect_eq 0 "$(find .strata/objects -path "*/objects/??" -type d | wc -l)" "fan-out folders"
  expect_eq 1 "$(count pack)"
  check_sound
'

if [ "$have_strace" = yes ]; then
  test_expect_success 'automatic gc of a packed repository opens no fan-out folder' '
    cd side-files
    sgit config --unset strata.gcAuto
    sgit config strata.gcAutoPackLimit 3
    strata set doc /n 7 >/dev/null
    strata set doc /n 8 >/dev/null
    expect_eq 3 "$(count pack)"
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -o trace -e trace=openat,open,rmdir,stat,newfstatat,unlink "$STRATA" set doc /n 9 >/dev/null
    test "$(count pack)" -lt 4
    # Before: each of the 256 objects/XX opened twice and removed once.
    expect_eq 0 "$(grep -cE "objects/[0-9a-f]{2}\"" trace)" "calls on fan-out folders"
    expect_eq 0 "$(grep -cE "\.(rev|bitmap|mtimes|keep)\"" trace)" "calls on side files"
    expect_eq 9 "$(strata get doc /n)"
  '
else
  test_skip 'automatic gc of a packed repository opens no fan-out folder' 'strace is not installed'
fi

test_expect_success 'gc --keep-largest-pack leaves the largest pack as it was and packs the rest' '
  make_repo keep-largest
  cd keep-largest
  strata gc >/dev/null
  largest=$(basename .strata/objects/pack/pack-*.pack)
  before=$(cksum <".strata/objects/pack/$largest")
  for i in 6 7 8; do strata set doc /n "$i" >/dev/null; done
  strata gc --keep-largest-pack --json >out.json
  python3 - "$largest" <<EOF
import json, sys
r = json.load(open("out.json"))
assert r["ran"] is True and r["kept_pack"] == sys.argv[1], r
assert r["pack"] != sys.argv[1] and r["packed"] > 0, r
assert r["removed"]["packs"] == 3 and r["after"]["packs"] == 2, r
EOF
  expect_eq "$before" "$(cksum <".strata/objects/pack/$largest")" "the kept pack"
  strata gc --keep-largest-pack >out
  grep -q "^kept $largest as it was$" out
  expect_eq 8 "$(strata get doc /n)"
  strata verify >/dev/null
  sgit fsck --strict --no-dangling >/dev/null 2>&1
  rc=0
  strata gc --auto --keep-largest-pack 2>err || rc=$?
  expect_eq 2 "$rc" "exit code of a usage error"
  grep -q "do not go together" err
'

test_expect_success 'human output says what was packed and removed' '
  cd r
  strata set doc /n 6 >/dev/null
  strata gc >out
  grep -Eq "^packed [0-9]+ objects into pack-[0-9a-f]+\.pack( \([0-9]+ deltas reused\))?$" out
  grep -q "^removed 0 loose objects and 2 packs$" out
  grep -q "^before: 0 loose, 2 packs, " out
  grep -q "^after:  0 loose, 1 packs, " out
'

test_expect_success 'gc copies the largest pack'"'"'s deltas; --aggressive searches them again' '
  rm -rf dz && mkdir dz && cd dz
  strata init >/dev/null
  sgit config strata.gcAuto 0
  strata set -s doc /text "$(seq -s " " 1 300)" >/dev/null
  for i in 1 2 3 4 5 6; do strata set doc /v $i >/dev/null; done
  strata gc --aggressive --json >agg.json
  python3 -c "import json; r = json.load(open(\"agg.json\")); assert r[\"deltas_reused\"] == 0, r"
  deltas=$(sgit verify-pack -v .strata/objects/pack/*.idx | awk "NF == 7" | wc -l)
  test "$deltas" -gt 0
  strata set doc /v 7 >/dev/null
  strata gc --json >gc.json
  python3 -c "import json; r = json.load(open(\"gc.json\")); assert r[\"deltas_reused\"] == $deltas and r[\"after\"][\"packs\"] == 1, r"
  strata verify >/dev/null
  sgit fsck --strict --no-dangling >/dev/null 2>&1
  expect_eq "$(seq -s " " 1 300)" "$(strata get doc /text | tr -d \")"
  expect_eq 7 "$(strata get doc /v)"
  for other in --auto --keep-largest-pack; do
    rc=0
    strata gc --aggressive $other 2>err || rc=$?
    expect_eq 2 "$rc" "exit code of --aggressive $other"
    grep -q "does not go together" err
  done
'

test_expect_success 'unreachable versions stay for the grace period, go with --prune now' '
  cd r
  gone=$(sgit rev-parse side)
  strata branch -D side >/dev/null
  strata gc >/dev/null
  strata show "$gone" >/dev/null
  strata gc --prune never >/dev/null
  strata show "$gone" >/dev/null
  strata gc --prune now >/dev/null
  if strata show "$gone" >/dev/null 2>&1; then false; fi
  strata show HEAD >/dev/null
  strata verify >/dev/null
  sgit fsck --strict >/dev/null 2>&1
'

test_expect_success 'bad --prune is a usage error' '
  cd r
  set +e
  strata gc --prune soon 2>err
  rc=$?
  set -e
  expect_eq 2 "$rc"
  grep -q "expected a number of days" err
'

test_expect_success 'gc --auto: skipped under the thresholds, runs past the pack limit' '
  make_repo a
  cd a
  strata gc --auto --json >out.json
  python3 -c "import json; r = json.load(open(\"out.json\")); assert r[\"ran\"] is False and \"off\" in r[\"skipped\"], r"
  sgit config strata.gcAuto 6700
  sgit config strata.gcAutoPackLimit 100
  strata gc --auto >out
  grep -q "^gc skipped: nothing to do" out
  # Writes run it: past 3 packs, the next write packs them.
  sgit config strata.gcAutoPackLimit 3
  strata set doc /n 7 >/dev/null
  test "$(count pack)" -le 3
  for i in 8 9 10 11 12; do strata set doc /n $i >/dev/null; test "$(count pack)" -le 3; done
  expect_eq 12 "$(strata get doc /n)"
  strata verify >/dev/null
  sgit fsck --strict >/dev/null 2>&1
'

# gc stopped at STEP (STRATA_GC_TEST_STOP) in the current repository:
# sound after, and the next gc completes into one pack.
stopped_gc_loses_nothing() {
  set +e
  STRATA_GC_TEST_STOP=$1 strata gc --prune now >/dev/null 2>&1
  local rc=$?
  set -e
  expect_eq 137 "$rc" "exit code of the gc stopped at $1"
  check_sound
  strata gc --prune now >/dev/null
  expect_eq 1 "$(count idx)"
  check_sound
}

for step in locked combined walked written pack-renamed installed removing removed; do
  test_expect_success "killed at step $step: nothing lost, verify and fsck pass, gc completes" "
    make_repo k-$step
    cd k-$step
    stopped_gc_loses_nothing $step
  "
done

# Automatic gc moves the packs it replaces into .strata/spare/retired and
# frees them on another thread (objects/spare_files.h): killed while it
# moves them, or after, nothing is lost, and the next gc frees what was
# left there.
for step in removing removed; do
  test_expect_success "automatic gc killed at step $step: nothing lost, the next gc frees the rest" "
    make_repo ak-$step
    cd ak-$step
    sgit config strata.gcAuto 6700
    sgit config strata.gcAutoPackLimit 3
    set +e
    STRATA_GC_TEST_STOP=$step strata gc --auto >/dev/null 2>&1
    rc=\$?
    set -e
    expect_eq 137 \"\$rc\"
    test \"\$(ls .strata/spare/retired | wc -l)\" -ge 1
    check_sound
    strata gc --prune now >/dev/null
    expect_eq 1 \"\$(count idx)\"
    expect_eq 0 \"\$(ls .strata/spare/retired | wc -l)\"
    check_sound
  "
done

# The same kills when gc copies the largest pack's deltas (a pack an
# aggressive gc wrote, and three writes since).
make_delta_repo() {
  make_repo "$1"
  cd "$1"
  strata gc --aggressive >/dev/null
  for i in 6 7 8; do strata set doc /m $i >/dev/null; done
}

test_expect_success 'a repository gc has packed with deltas: the next gc copies them' '
  make_delta_repo dz0
  strata gc --prune now --json >out.json
  python3 -c "import json; r = json.load(open(\"out.json\")); assert r[\"deltas_reused\"] > 0, r"
  check_sound
'
for step in walked written pack-renamed installed removing removed; do
  test_expect_success "killed at step $step while reusing the largest pack's deltas: nothing lost" "
    make_delta_repo d-$step
    stopped_gc_loses_nothing $step
    expect_eq 8 \"\$(strata get doc /m)\"
  "
done

test_expect_success 'random SIGKILLs of gc: every kill leaves a sound repository' '
  make_repo rk
  cd rk
  for i in $(seq 1 12); do
    strata set doc /n $((i + 5)) >/dev/null
    strata set doc /n $((i + 4)) >/dev/null
    "$STRATA" gc --prune now >/dev/null 2>&1 &
    pid=$!
    sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || true
    check_sound
  done
  strata gc >/dev/null
  check_sound
'

# More packs than the process may open files: automatic gc off, so every
# write is a pack, and a low descriptor limit. libgit2 held one descriptor a
# pack with no bound: past the limit, reads failed with "Too many open
# files", and log, verify and gc reported versions missing.
test_expect_success 'more packs than open files: log, verify, show and gc read them all' '
  rm -rf many
  mkdir many
  cd many
  strata init >/dev/null
  sgit config strata.gcAuto 0
  for i in $(seq 1 90); do strata set "d$((i % 4))" /n "$i" >/dev/null; done
  test "$(count pack)" -ge 90
  (
    ulimit -n 40
    expect_eq 90 "$(strata log | wc -l)"
    strata verify >/dev/null
    expect_eq 1 "$(strata get d1@HEAD~89 /n)"
    strata gc >/dev/null
  )
  expect_eq 1 "$(count pack)"
  expect_eq 90 "$(strata log | wc -l)"
  strata verify >/dev/null
  sgit fsck --strict --no-dangling >/dev/null 2>&1
'

# Fewer open files than libgit2 needs to read packs (it keeps up to eight
# open): reads fail with "Too many open files". That is the machine's
# refusal, not damage: log once said a version was "missing or damaged",
# and verify reported a problem for every pack and "ref HEAD does not hold
# a version id: ''" (it read HEAD as empty). Both now stop with the
# system's reason, and the repository is sound once the limit is raised.
# Reads map a pack and close its descriptor (objects/pack_backend.h), so a
# process needs no descriptor a pack: log reads 40 packs with 10. With too
# few for even that, the error is the system's reason, never damage.
test_expect_success 'too few open files: log reads 40 packs with 10; verify with 5 gives the system'"'"'s reason, not damage' '
  rm -rf starved
  mkdir starved
  cd starved
  strata init >/dev/null
  sgit config strata.gcAuto 0
  for i in $(seq 1 40); do strata set "d$((i % 4))" /n "$i" >/dev/null; done
  test "$(count pack)" -ge 40
  snapshot_repo
  (
    ulimit -n 10
    strata log >log.out
  ) &&
  expect_eq 40 "$(wc -l <log.out)" &&
  # The limit set in the child, after its output is redirected (bash itself
  # cannot redirect under so low a limit).
  expect_fail 1 sh -c "ulimit -n 5 && exec \"\$0\" verify" "$STRATA" || return 1
  expect_match "Too many open files" "$(err)"
  expect_no_match "missing|damaged|does not hold|problems" "$(err)"
  expect_repo_unchanged
  expect_eq 40 "$(strata log | wc -l)"
  strata verify >/dev/null
'

test_done
