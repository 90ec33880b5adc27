#!/usr/bin/env bash
# Crash loop (issue 12): kill a writer with SIGKILL at a random moment during
# each kind of write, STRATA_CRASH_KILLS times (40 here; 500 or more for the
# long run in docs/reliability.md), and after every kill check that
#   - `strata verify` and `git fsck --strict` pass (here, and on the remote
#     after a push),
#   - the branch is at the old version or at the one the op writes,
#   - every acknowledged version (exit 0 of any earlier op) is in history,
#   - the next write succeeds: a git lock file the kill left is removed by
#     strata itself (repo/transaction.h), and is gone after that write.
# The moment: a random 0..N ms after the op starts, N being 5/4 of the op's
# own duration, measured once at the start, so kills land in every phase and
# some after the op has exited (acknowledged). The random sequence comes from
# the seed (printed; STRATA_CRASH_SEED=S repeats it; the machine's timing
# still varies).
#
#   STRATA_CRASH_KILLS=500 STRATA=build/cli/strata bash tests/cli/t1800-crash-loop.sh
#
# The operations are CRASH_OPS, in turn. To add one, define prep_NAME (set-up,
# not killed; may be empty) and run_NAME (sets CMD, the strata arguments the
# kill aims at), and add NAME to CRASH_OPS. gc joins when `strata gc --help`
# succeeds.
. "$(dirname "$0")/lib.sh"

KILLS=${STRATA_CRASH_KILLS:-40}
SEED=${STRATA_CRASH_SEED:-$(($(date +%s%N) % 32768))}
# A fresh repository every EPOCH kills, so verify's whole-history walk stays
# short in long runs.
EPOCH=${STRATA_CRASH_EPOCH:-100}
CRASH_OPS="put set patch import merge push"
if "$STRATA" gc --help >/dev/null 2>&1; then
  CRASH_OPS="$CRASH_OPS gc"
else
  echo "# strata gc is not there (strata gc --help failed): the crash loop skips gc"
fi
echo "# crash loop: $KILLS kills over: $CRASH_OPS; seed $SEED (STRATA_CRASH_SEED=$SEED repeats it)"

# --- the operations: prep_NAME K (not killed), run_NAME K (sets CMD) -----------
# K is the kill number: every write is tagged "crash K" so the new version is
# recognisable.
IMPORT_DOCS=300
prep_put() { sed "1s/^{/{\"crash\": $1, /" big.json >put.json; }
run_put() { CMD=(put "put/$(($1 % 5))" put.json -m "crash $1"); }
prep_set() { :; }
run_set() { CMD=(set "set/$(($1 % 5))" /v "$1" -m "crash $1"); }
prep_patch() {
  echo "[{\"op\":\"add\",\"path\":\"/patch~1a\",\"value\":{\"k\":$1}},{\"op\":\"add\",\"path\":\"/patch~1b\",\"value\":{\"k\":$1}}]" >patch.json
}
run_patch() { CMD=(patch patch.json -m "crash $1"); }
# hundreds of documents in one version: a wide window
prep_import() {
  seq "$IMPORT_DOCS" | awk -v k="$1" '{ printf "{\"id\":\"imp/%d\",\"doc\":{\"k\":%d,\"pad\":\"%0100d\"}}\n", $1, k, $1 }' >import.jsonl
}
run_import() { CMD=(import import.jsonl -m "crash $1"); }
# a real merge: main and side both changed since they parted
prep_merge() {
  strata branch -f side main >/dev/null
  strata set --branch side merge/side /v "$1" >/dev/null
  strata set merge/main /v "$1" >/dev/null
}
run_merge() { CMD=(merge side -m "crash $1"); }
# something new to push
prep_push() { strata set push/doc /v "$1" >/dev/null; }
run_push() { CMD=(push origin main); }
prep_gc() { :; }
run_gc() { CMD=(gc); }

# --- the loop --------------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# fresh_repo: a new repository in $TRASH/eN with a base version, a remote
# (a bare git repository at a path) and big.json; cd there.
epoch=0
fresh_repo() {
  epoch=$((epoch + 1))
  cd "$TRASH"
  new_repo "e$epoch"
  git init -q --bare "$TRASH/e$epoch.remote.git"
  strata remote add origin "$TRASH/e$epoch.remote.git" >/dev/null
  python3 -c '
import json
print(json.dumps({"k%d" % i: {"n": i, "s": "x" * 50} for i in range(400)}))' >big.json
  strata put base big.json >/dev/null
  strata push origin main >/dev/null 2>&1
  : >acked
}

# Git lock files of refs (and config) in REPO. strata.lock is an flock,
# never stale; a temporary file under objects/ (a pack's index being
# written, pack_git2_*idx.lock) has a name nobody uses again: verify notes
# it, as any temporary object.
# A killed gc's folder (.strata/gc-tmp-*, with libgit2's lock of the pack it
# was writing) blocks nothing: the next gc removes it (docs/gc.md).
lock_files() {
  find "$1" -name '*.lock' ! -name strata.lock ! -path '*/objects/*' ! -path '*/gc-tmp-*' | sort
}

# Every count is kept in $TRASH/counts (one "KEY" a line; summed at the end).
count() { echo "$1" >>"$TRASH/counts"; }

# fail WHAT: record the problem (with the kill's context) and stop the loop.
fail() {
  echo "FAIL at kill $k (op $op, delay ${delay}ms, exit $rc): $1" | tee -a "$TRASH/problems"
  return 1
}

# probe_write K: the next write after a kill must succeed: a git lock file
# the kill left is stale, and strata removes it (repo/transaction.h).
probe_write() {
  local out rcp=0
  out=$(strata set probe /k "$1" --json -m "probe $1" 2>probe.err) || rcp=$?
  [ "$rcp" = 0 ] || fail "the write after the kill failed: $(cat probe.err)" || return 1
  grep -o '"id":"[0-9a-f]\{40\}"' <<<"$out" | cut -d'"' -f4 >>acked
}

# check_after: everything that must hold after the kill of kill $k.
check_after() {
  local tip locks
  # The lock files this kill left (a landing ref's lock on the remote stays
  # from an earlier one: see below).
  locks=$({ lock_files .strata; lock_files "$remote"; } | comm -13 locks.before -)
  if [ -n "$locks" ]; then
    count lock_left
    echo "kill $k ($op, ${delay} ms, exit $rc) left: $locks" >>"$TRASH/locks"
  fi
  # The branch is at the old version, or at the version this op wrote.
  tip=$(sgit rev-parse main)
  if [ "$tip" != "$old" ]; then
    [ "$(sgit rev-parse "$tip^1")" = "$old" ] || fail "main moved to $tip, not a child of $old" || return 1
    [ "$(sgit log -1 --format=%s "$tip")" = "crash $k" ] ||
      fail "main moved to $tip ($(sgit log -1 --format=%s "$tip")), not the version of this op" || return 1
    [ "$rc" = 0 ] || count landed_unacked
  fi
  if [ "$rc" = 0 ]; then
    # What it acknowledged is where the branch is (or, for push and gc, the
    # branch stayed).
    local id
    id=$({ grep -o '"id":"[0-9a-f]\{40\}"' op.out || true; } | head -n 1 | cut -d'"' -f4)
    case "$op" in
      push | gc) [ "$tip" = "$old" ] || fail "$op moved main" || return 1 ;;
      *)
        [ -n "$id" ] || fail "exit 0 without a version id: $(cat op.out)" || return 1
        [ "$tip" = "$id" ] || fail "acknowledged $id, main is at $tip" || return 1
        echo "$id" >>acked
        ;;
    esac
  fi
  # Every acknowledged version is in history.
  sgit rev-list main | sort >history
  local lost
  lost=$(sort acked | comm -23 - history)
  [ -z "$lost" ] || fail "acknowledged versions missing from main: $lost" || return 1
  # The remote's branch is at its old version or at what was pushed.
  local rtip
  rtip=$(git --git-dir "$remote" rev-parse -q --verify main || echo none)
  if [ "$rtip" != "$remote_old" ]; then
    [ "$op" = push ] && [ "$rtip" = "$old" ] || fail "the remote's main moved to $rtip (was $remote_old)" || return 1
  fi
  if [ "$rc" = 0 ] && [ "$op" = push ]; then
    [ "$rtip" = "$old" ] || fail "push acknowledged, the remote's main is at $rtip" || return 1
  fi
  # verify and fsck, here and on the remote. What the kill left (a lock
  # file, a temporary object) is a note, not a problem.
  strata verify >verify.out 2>&1 || fail "strata verify: $(tail -n 5 verify.out)" || return 1
  if grep -q "^strata: note: temporary file" verify.out; then count tmp_left; fi
  sgit fsck --strict --no-progress --no-dangling >fsck.out 2>&1 || fail "git fsck: $(tail -n 5 fsck.out)" || return 1
  if [ "$op" = push ]; then
    strata --repo "$remote" verify >verify.out 2>&1 || fail "strata verify on the remote: $(tail -n 5 verify.out)" || return 1
    git --git-dir "$remote" fsck --strict --no-progress --no-dangling >fsck.out 2>&1 ||
      fail "git fsck on the remote: $(tail -n 5 fsck.out)" || return 1
    # A push killed after its objects landed leaves its landing ref there.
    local landing
    landing=$(git --git-dir "$remote" for-each-ref --format='%(refname)' refs/strata/incoming-push | wc -l)
    echo "$landing" >"$TRASH/landing.$epoch"
  fi
  # The next write succeeds (and the next push, after a push).
  probe_write "$k"
  if [ "$op" = push ]; then
    strata push origin main >push.out 2>push.err || fail "the push after the kill failed: $(cat push.err)" || return 1
  fi
  # No lock file is left now: each was removed by the write that needed its
  # ref, save a push's landing ref lock on the remote (a name no later push
  # uses again).
  if [ -n "$locks" ]; then
    local still
    still=$(lock_files .strata; lock_files "$remote" | grep -v /refs/strata/incoming-push/ || true)
    [ -z "$still" ] || fail "lock files still there after the next write: $still" || return 1
    if grep -qv /refs/strata/incoming-push/ <<<"$locks"; then count lock_removed; fi
    if grep -q /refs/strata/incoming-push/ <<<"$locks"; then count landing_lock_left; fi
  fi
}

# calibrate: each op's duration (ms), run once to completion, is its window.
declare -A WINDOW
calibrate() {
  local o t0 t1 kc=1000000
  for o in $CRASH_OPS; do
    kc=$((kc + 1))
    "prep_$o" "$kc"
    "run_$o" "$kc"
    t0=$(now_ms)
    strata "${CMD[@]}" >/dev/null
    t1=$(now_ms)
    WINDOW[$o]=$(((t1 - t0) * 5 / 4 + 1))
    echo "window $o $((t1 - t0)) ${WINDOW[$o]}" >>"$TRASH/windows"
  done
}

test_expect_success "crash loop: $KILLS kills (seed $SEED)" '
  : >"$TRASH/counts"
  : >"$TRASH/problems"
  : >"$TRASH/locks"
  : >"$TRASH/windows"
  RANDOM=$SEED
  ops=($CRASH_OPS)
  fresh_repo
  calibrate
  for k in $(seq "$KILLS"); do
    if [ $(((k - 1) % EPOCH)) = 0 ] && [ "$k" -gt 1 ]; then fresh_repo; fi
    remote=$TRASH/e$epoch.remote.git
    op=${ops[$(((k - 1) % ${#ops[@]}))]}
    "prep_$op" "$k"
    "run_$op" "$k"
    { lock_files .strata; lock_files "$remote"; } >locks.before
    old=$(sgit rev-parse main)
    remote_old=$(git --git-dir "$remote" rev-parse -q --verify main || echo none)
    delay=$(((RANDOM * 32768 + RANDOM) % (WINDOW[$op] + 1)))
    "$STRATA" "${CMD[@]}" --json >op.out 2>op.err &
    pid=$!
    sleep "$(printf "%d.%03d" $((delay / 1000)) $((delay % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" || rc=$?
    count "kill $op"
    case "$rc" in
      137) count "before $op" ;;
      0) count "after $op" ;;
      *) fail "$op exited $rc on its own: $(cat op.err)" ;;
    esac
    check_after
  done
'

# The figures: kills per op, before and after the acknowledgement.
{
  printf "%-8s %6s %14s %13s\n" op kills "before ack" "after ack"
  for o in $CRASH_OPS; do
    printf "%-8s %6d %14d %13d\n" "$o" "$(grep -cx "kill $o" "$TRASH/counts")" \
      "$(grep -cx "before $o" "$TRASH/counts")" "$(grep -cx "after $o" "$TRASH/counts")"
  done
  echo "killed after the branch moved, before exit: $(grep -cx landed_unacked "$TRASH/counts")"
  echo "kills that left a git lock file: $(grep -cx lock_left "$TRASH/counts"): a branch's, removed by the next write: $(grep -cx lock_removed "$TRASH/counts"); a push's landing ref's on the remote (it stays, never reused): $(grep -cx landing_lock_left "$TRASH/counts")"
  echo "kills after which verify noted a temporary file: $(grep -cx tmp_left "$TRASH/counts")"
  echo "landing refs left on the remote: $(cat "$TRASH"/landing.* 2>/dev/null | awk "{ n += \$1 } END { print n + 0 }")"
  echo "problems: $(wc -l <"$TRASH/problems")"
  while read -r _ o ms w; do echo "window $o: took ${ms} ms, kills in 0..$w ms"; done <"$TRASH/windows"
  cat "$TRASH/locks"
} | sed "s/^/# /"

test_done
