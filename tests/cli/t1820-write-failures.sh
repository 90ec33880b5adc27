#!/usr/bin/env bash
# Write failures (issue 12): every write command, with each system call it
# makes on the repository failing in turn (tests/faults/fault_shim.c, an
# LD_PRELOAD shim), and with a real file-size limit (ulimit -f). For each
# failure the command exits 1 with one `strata: error:` line naming what
# failed and the errno text; the repository is as it was (refs, state;
# verify and git fsck --strict pass); and the same write without the fault
# then succeeds. A failure that a command swallows (exit 0) is allowed only on
# a cache file (the version index, a view cache) that is never trusted.
# docs/reliability.md "Write failures" has the figures.
. "$(dirname "$0")/lib.sh"

SHIM=${FAULT_SHIM:-$TEST_SRC_DIR/../../build/tests/faults/fault_shim.so}
if [ ! -f "$SHIM" ]; then
  test_skip "write failures" "no fault shim at $SHIM (Linux only)"
  test_done
fi
# Under ASan the shim comes before the sanitizer runtime in the library list.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0

# --- the repository each case starts from -----------------------------------------
new_repo base >/dev/null
echo '{"a":1,"list":[1,2,3]}' | strata put d - >/dev/null
echo '{"k":"keep"}' | strata put e - >/dev/null
strata branch side >/dev/null
strata switch side >/dev/null
strata set e /s 1 >/dev/null
strata switch main >/dev/null
strata set d /a 2 >/dev/null
git init -q --bare target.git
git --git-dir target.git symbolic-ref HEAD refs/heads/main
strata remote add up "$TRASH/base/target.git" >/dev/null
strata push up main >/dev/null 2>&1
strata set d /b 3 >/dev/null
echo '{"p":1}' >in.json
echo '[{"op":"add","path":"/d/c","value":[true]}]' >patch.json
for i in 1 2 3; do echo "{\"id\":\"imp/$i\",\"doc\":{\"i\":$i}}"; done >small.jsonl
# more objects than go loose: the pack path (ObjectStore::kLooseLimit)
for i in $(seq 100); do echo "{\"id\":\"many/$i\",\"doc\":{\"i\":$i}}"; done >many.jsonl
cd "$TRASH"

# op NAME -> the command (run in the repository's folder)
op_cmd() {
  case $1 in
    put) echo "strata put p in.json" ;;
    set) echo "strata set d /z 1" ;;
    rm) echo "strata rm e" ;;
    patch) echo "strata patch patch.json" ;;
    import) echo "strata import small.jsonl" ;;
    import-pack) echo "strata import many.jsonl" ;;
    merge) echo "strata merge side -m merged" ;;
    tag) echo "strata tag t2" ;;
    label) echo "strata label HEAD checked" ;;
    push) echo "strata push up main" ;;
  esac
}
OPS=${STRATA_FAULT_OPS:-"put set rm patch import import-pack merge tag label push"}

# the state a failed write must leave: refs here and in the push target,
# what the documents read, the loose and packed objects (by fingerprint).
state_of() {
  echo "HEAD: $(cat .strata/HEAD)"
  sgit for-each-ref --format="%(refname) %(objectname)"
  strata get d 2>&1 || true
  strata get e 2>&1 || true
  strata ls
}
target_refs() { git --git-dir target.git for-each-ref --format="%(refname) %(objectname)"; }
# intact: verify and git fsck --strict pass on both repositories.
intact() {
  strata verify >/dev/null
  sgit fsck --strict --no-progress --no-dangling >"$TRASH/.fsck" 2>&1
  git --git-dir target.git fsck --strict --no-progress --no-dangling >>"$TRASH/.fsck" 2>&1
  expect_eq "" "$(cat "$TRASH/.fsck")" "git fsck --strict"
}
# errno_text ERRNO: strerror's words
errno_text() {
  case $1 in
    ENOSPC) echo "No space left on device" ;;
    EIO) echo "Input/output error" ;;
    EACCES) echo "Permission denied" ;;
    EFBIG) echo "File too large" ;;
  esac
}
# the errno each call fails with
errno_for() {
  case $1 in
    write | pwrite | writev | ftruncate) echo ENOSPC ;;
    open | mkdir) echo EACCES ;;
    *) echo EIO ;;
  esac
}

# A swallowed failure is acceptable only on these files: caches that are
# rebuilt and never trusted (the version index, a view cache), and the write
# lock's note of its holder (the lock itself is flock(2); the note is
# truncated when it is released, after the write).
CACHE_RE='/\.strata/(version-index|views/|strata\.lock)'

# positions K: which of K calls of a kind to fail. Every one with
# STRATA_FAULT_ALL=1 (the figures in docs/reliability.md); in the suite the
# first, middle and last, to keep within its time (ASan included).
positions() {
  if [ -n "${STRATA_FAULT_ALL:-}" ]; then
    seq "$1"
  else
    printf "%s\n" 1 $(( ($1 + 1) / 2 )) "$1" | sort -nu
  fi
}

# check_op OP: every counted call of every kind, failed in turn.
check_op() {
  local op=$1 cmd kinds kind k n rc fired errno_name text summary=""
  cmd=$(op_cmd "$op")
  rm -rf "$TRASH/w"; cp -a "$TRASH/base" "$TRASH/w"; cd "$TRASH/w"
  state_of >"$TRASH/.before"
  local target_before
  target_before=$(target_refs)
  # 1. count what the op does to files under the repository
  rm -f "$TRASH/.count"
  STRATA_FAULT=count STRATA_FAULT_PATH="$TRASH/w/" STRATA_FAULT_LOG="$TRASH/.count" \
    LD_PRELOAD="$SHIM" $cmd >/dev/null 2>&1
  test -s "$TRASH/.count"
  kinds=$(cut -d" " -f1 "$TRASH/.count" | sort -u)
  for kind in $kinds; do
    k=$(grep -c "^$kind " "$TRASH/.count")
    errno_name=$(errno_for "$kind")
    text=$(errno_text "$errno_name")
    for n in $(positions "$k"); do
      rm -rf "$TRASH/w"; cp -a "$TRASH/base" "$TRASH/w"; cd "$TRASH/w"
      rm -f "$TRASH/.fired"
      rc=0
      STRATA_FAULT="count,$kind:$errno_name:nth=$n" STRATA_FAULT_PATH="$TRASH/w/" \
        STRATA_FAULT_LOG="$TRASH/.fired" LD_PRELOAD="$SHIM" \
        $cmd >"$TRASH/.out" 2>"$TRASH/.err" || rc=$?
      fired=$(grep " errno=" "$TRASH/.fired" 2>/dev/null || true)
      if [ -z "$fired" ]; then
        continue  # this run made fewer such calls (a retry, a cache hit)
      fi
      echo "$op $kind #$n ($fired) -> $rc: $(head -n 1 "$TRASH/.err")" >>"$TRASH/.results"
      if [ "$rc" -eq 0 ]; then
        # Swallowed: only a cache may be the file, or a close (libgit2's
        # loose-object writer ignores close() after its fsync succeeded, so
        # the object is on disk whole), and the write is whole.
        # Or a retry: libgit2's git_odb_write, when a backend's write fails,
        # writes the object again through a stream (a new temporary file,
        # its own fsync); a later call of the same kind that succeeded.
        # libgit2's p_rename tries link(2) first and falls back to rename(2).
        again=$kind
        if [ "$kind" = link ]; then again=rename; fi
        retried=$(sed -n "/ errno=/,\$p" "$TRASH/.fired" | grep -c "^$again .* ok$" || true)
        if ! text_matches "$CACHE_RE" "$fired" && [ "$kind" != close ] && [ "$retried" -eq 0 ]; then
          echo "FAIL: '$cmd' exited 0 although $kind failed: $fired"
          return 1
        fi
        intact
        continue
      fi
      expect_eq 1 "$rc" "'$cmd' with $kind #$n failing ($fired) exit code; stderr: $(cat "$TRASH/.err")"
      expect_eq 1 "$(wc -l <"$TRASH/.err")" "'$cmd' with $kind #$n failing: one line: $(cat "$TRASH/.err")"
      expect_match "^strata: error: " "$(cat "$TRASH/.err")"
      expect_match "$text" "$(cat "$TRASH/.err")"
      state_of >"$TRASH/.after"
      # The one failure after which a ref has moved: the fsync of the ref's
      # folder, after libgit2 renamed the ref into place. The error says so.
      if text_matches "^strata: error: refs/[^ ]+ moved to [0-9a-f]{12}, but failed to fsync directory .*: the move may not survive a crash$" "$(cat "$TRASH/.err")"; then
        expect_eq fsync "$kind"
        intact
        continue  # the write is done: nothing to write again
      else
        expect_files_eq "$TRASH/.before" "$TRASH/.after"
      fi
      # A push whose remote side succeeded, and whose failure was on this
      # side (the remote-tracking ref), leaves the target moved: the next
      # push or fetch moves the tracking ref. Anything else leaves it alone.
      if [ "$(target_refs)" != "$target_before" ]; then
        expect_eq push "$op" "the push target moved"
        expect_no_match "/target\.git/" "$fired"
        expect_eq "$(sgit rev-parse main)" "$(git --git-dir target.git rev-parse main)"
      fi
      intact
      # the same write without the fault succeeds
      $cmd >/dev/null 2>"$TRASH/.err2" || {
        echo "FAIL: '$cmd' after a failed $kind #$n: $(cat "$TRASH/.err2")"
        return 1
      }
      intact
    done
    summary="$summary $kind:$k"
    cd "$TRASH/w"
  done
  echo "# $op:$summary" >>"$TRASH/.summary"
}

for op in $OPS; do
  test_expect_success "$op: each write, fsync, rename, open, close... failing in turn" "check_op $op"
done

test_expect_success 'what each operation does to files (call:count), and each outcome' '
  cat "$TRASH/.summary"
  cat "$TRASH/.results"
  # the shim fired: the table above is not empty for any operation
  for op in $OPS; do
    grep -q "^$op " "$TRASH/.results"
  done
'

test_expect_success 'a real file-size limit (ulimit -f, SIGXFSZ ignored: EFBIG) on a large import' '
  rm -rf big; cp -a base big; cd big
  # random hex (seeded): about 1 MB after zlib, four times the limit
  python3 -c "
import json, random
r = random.Random(1)
for i in range(200):
    print(json.dumps({\"id\": \"big/%d\" % i, \"doc\": {\"s\": \"%x\" % r.getrandbits(40000)}}))
" >big.jsonl
  state_of >"$TRASH/.before"
  rc=0
  ( trap "" XFSZ; ulimit -f 256; exec timeout 60 "$STRATA" import big.jsonl ) >out 2>err || rc=$?
  expect_eq 1 "$rc" "exit code; stderr: $(cat err)"
  expect_eq 1 "$(wc -l <err)"
  expect_match "^strata: error: .*File too large" "$(cat err)"
  state_of >"$TRASH/.after"
  expect_files_eq "$TRASH/.before" "$TRASH/.after"
  intact
  strata import big.jsonl >/dev/null
  intact
'

test_done
