#!/usr/bin/env bash
# The corruption matrix (issue 12): a copy of one repository damaged in each
# way below. For each, `strata verify` exits 1 naming what is broken and where,
# and every other command either succeeds (on the undamaged part) or fails with
# a clear `strata: error:` line: never a hang (each run is bounded by
# `timeout 20`; 124 fails), never a crash (an exit code of 128 or more fails).
# docs/reliability.md "Corruption" lists each case with what strata says.
# t0700-verify-fsck.sh has the older cases (objects swapped, emptied,
# deleted; a forged delta on a branch and a tag).
. "$(dirname "$0")/lib.sh"

# --- the repository every case damages a copy of ------------------------------
new_repo base >/dev/null
echo '{"a":1,"list":[1,2,3]}' | strata put d - >/dev/null
echo '{"k":"keep"}' | strata put e - >/dev/null
strata set d /a 2 >/dev/null
strata branch side >/dev/null
strata set d /b '"main"' >/dev/null
strata switch side >/dev/null
strata set e /s 1 >/dev/null
strata switch main >/dev/null
strata merge side -m "merge side" >/dev/null
strata tag v1 HEAD~1 >/dev/null
strata label HEAD reviewed >/dev/null
echo '{"perspectives":{"pub":{"docs":["**"],"rules":[{"path":"/**","action":"show"},{"path":"/list","action":"hide"}]}}}' |
  strata put .perspectives - >/dev/null
strata set d /c 3 >/dev/null
# warm the caches: the version index and the view cache of "pub"
strata log >/dev/null
strata get d --perspective pub >/dev/null
strata log --perspective pub >/dev/null
cd "$TRASH"
# a bare repository to push to and fetch from
git init -q --bare target.git

# What every command prints on the sound repository, to compare with.
GOOD_LOG=$(cd base && strata log --json)
GOOD_E=$(cd base && strata get e)

# damage NAME: a copy of base to damage, with every object loose (so a case
# finds an object's file by looking, whatever way a version's objects were
# written), and cd into it.
damage() {
  rm -rf "$TRASH/$1"
  cp -a "$TRASH/base" "$TRASH/$1"
  cd "$TRASH/$1"
}
# explode: every packed object loose, the packs removed.
explode() {
  local p
  mkdir -p "$TRASH/.packs.$$"
  for p in .strata/objects/pack/*.pack; do
    [ -e "$p" ] || continue
    mv "$p" "$TRASH/.packs.$$/"
    rm -f "${p%.pack}.idx" "${p%.pack}.rev"
  done
  for p in "$TRASH/.packs.$$"/*.pack; do
    [ -e "$p" ] || continue
    sgit unpack-objects -q <"$p"
    rm -f "$p"
  done
}
# packed: every object in one pack, nothing loose.
packed() { sgit repack -a -d -q; sgit prune-packed; }
loose_path() { echo ".strata/objects/${1:0:2}/${1:2}"; }
# flip FILE OFFSET: invert the byte at OFFSET (negative: from the end).
flip() {
  python3 - "$1" "$2" <<-\EOF
	import os, sys
	path, off = sys.argv[1], int(sys.argv[2])
	os.chmod(path, 0o644)
	data = bytearray(open(path, "rb").read())
	data[off] ^= 0xff
	open(path, "wb").write(bytes(data))
	EOF
}
# truncate_to FILE N: keep the first N bytes (N < 0: drop the last -N).
truncate_to() {
  python3 - "$1" "$2" <<-\EOF
	import os, sys
	path, n = sys.argv[1], int(sys.argv[2])
	os.chmod(path, 0o644)
	data = open(path, "rb").read()
	open(path, "wb").write(data[:n])
	EOF
}

# verify_says REGEX: verify exits 1, and its output (human and --json) matches.
verify_says() {
  local rc=0
  timeout 20 "$STRATA" verify >"$TRASH/.vout" 2>&1 || rc=$?
  expect_eq 1 "$rc" "strata verify exit code: $(head -c 600 "$TRASH/.vout")"
  expect_match "$1" "$(cat "$TRASH/.vout")"
  rc=0
  timeout 20 "$STRATA" verify --json >"$TRASH/.vjson" 2>"$TRASH/.verr" || rc=$?
  expect_eq 1 "$rc" "strata verify --json exit code"
  if [ "${2:-}" = error-line ]; then
    # verify stops at once with one error line (no report to print)
    expect_eq "" "$(cat "$TRASH/.vjson")"
    expect_match "^strata: error: .*($1)" "$(cat "$TRASH/.verr")"
  else
    expect_eq false "$(jpath "str(d[\"ok\"]).lower()" <"$TRASH/.vjson")"
  fi
}

# run_all: every command, each bounded. A command exits 0, or exits 1 (2 for
# usage is a bug here) with a `strata: error:` line on stderr; 124 (hang) and
# 128+ (crash) fail. Records "CMD -> rc" lines in $TRASH/.matrix for the log.
COMMANDS=(
  "get d"
  "get e"
  "get d --perspective pub"
  "ls"
  "log"
  "log -p"
  "log --perspective pub"
  "show"
  "show HEAD~2"
  "diff HEAD~3 HEAD"
  "history d"
  "history e"
  "blame d"
  "export HEAD exported"
  "get d@main@{1}"
  "set e /new 1"
  "merge side"
  "push up main"
  "fetch up"
)
run_all() {
  local c rc bad=0
  strata remote add up "$TRASH/target.git" >/dev/null 2>&1 || true
  : >"$TRASH/.matrix"
  for c in "${COMMANDS[@]}"; do
    rm -rf exported
    rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
      timeout 20 "$STRATA" $c >"$TRASH/.cout" 2>"$TRASH/.cerr" </dev/null || rc=$?
    echo "$c -> $rc: $(head -n 1 "$TRASH/.cerr" | cut -c 1-160)" >>"$TRASH/.matrix"
    if [ "$rc" -eq 124 ] || [ "$rc" -ge 128 ]; then
      echo "FAIL: 'strata $c' hung or crashed (exit $rc)"
      bad=1
    elif [ "$rc" -ne 0 ] && ! grep -q "^strata: error: " "$TRASH/.cerr"; then
      echo "FAIL: 'strata $c' exited $rc without a 'strata: error:' line:"
      sed 's/^/  | /' "$TRASH/.cerr" | head -n 5
      bad=1
    elif grep -Eq "AddressSanitizer|runtime error:|terminate called|Aborted" "$TRASH/.cerr"; then
      echo "FAIL: 'strata $c' reported a sanitizer error or an abort"
      head -n 5 "$TRASH/.cerr"
      bad=1
    fi
    # Undo what a command that succeeded wrote, so the next reads the same damage.
    if [ "$rc" -eq 0 ]; then
      case $c in
        "set e /new 1" | "merge side") sgit update-ref refs/heads/main "$MAIN_BEFORE" ;;
      esac
    fi
  done
  cat "$TRASH/.matrix"
  # STRATA_MATRIX_OUT=FILE collects every case's outcomes (docs/reliability.md)
  if [ -n "${STRATA_MATRIX_OUT:-}" ]; then
    {
      echo "== $(basename "$PWD")"
      [ -f "$TRASH/.vout" ] && echo "verify: $(grep -v "^ok" "$TRASH/.vout" | head -n 3 | cut -c 1-200)"
      cat "$TRASH/.matrix"
    } >>"$STRATA_MATRIX_OUT"
    rm -f "$TRASH/.vout"
  fi
  return "$bad"
}
# rc_of CMD: the exit code recorded for CMD by the last run_all.
rc_of() { grep -F "$1 -> " "$TRASH/.matrix" | head -n 1 | sed 's/.* -> \([0-9]*\):.*/\1/'; }
err_of() { grep -F "$1 -> " "$TRASH/.matrix" | head -n 1 | sed 's/^[^:]*: //'; }

MAIN_BEFORE=$(git --git-dir base/.strata rev-parse main)

test_expect_success 'the sound repository: verify passes and every command succeeds' '
  damage sound
  strata verify >/dev/null
  run_all
  for c in "${COMMANDS[@]}"; do
    expect_eq 0 "$(rc_of "$c")" "$c"
  done
'

# --- loose objects -------------------------------------------------------------------

# The blob of document d at main (a blob: d is small), damaged at OFFSET.
for offset in 0 1 2 mid -5 -1; do
  test_expect_success "a loose blob with a flipped byte at $offset: verify names it; e still reads" '
    damage loose'"$offset"'
    explode
    victim=$(sgit rev-parse main:state/d)
    f=$(loose_path $victim)
    test -f "$f"
    off='"$offset"'
    if [ "$off" = mid ]; then off=$(( $(stat -c %s "$f") / 2 )); fi
    flip "$f" "$off"
    verify_says "$victim"
    run_all
    expect_eq 1 "$(rc_of "get d")"
    expect_match "$victim" "$(err_of "get d")"
    expect_eq 0 "$(rc_of "get e")"
    expect_eq "$GOOD_E" "$(strata get e)"
    expect_eq 0 "$(rc_of "ls")"
  '
done

test_expect_success 'a loose commit (HEAD) with a flipped byte in the middle: every command names it' '
  damage loosecommit
  explode
  victim=$(sgit rev-parse main)
  f=$(loose_path $victim)
  flip "$f" $(( $(stat -c %s "$f") / 2 ))
  verify_says "${victim:0:12}"
  run_all
  for c in "get d" "log" "show" "set e /new 1"; do
    expect_eq 1 "$(rc_of "$c")" "$c"
    expect_match "$victim" "$(err_of "$c")"
  done
'

test_expect_success 'a loose tree (the state root of HEAD) truncated by one byte' '
  damage loosetree
  explode
  victim=$(sgit rev-parse main:state)
  truncate_to "$(loose_path $victim)" -1
  verify_says "$victim"
  run_all
  expect_eq 1 "$(rc_of "get e")"
  expect_match "$victim" "$(err_of "get e")"
'

# --- packs ---------------------------------------------------------------------------

test_expect_success 'a truncated pack: verify names the pack or its objects; nothing hangs' '
  damage packtrunc
  packed
  p=$(ls .strata/objects/pack/*.pack)
  truncate_to "$p" $(( $(stat -c %s "$p") / 2 ))
  verify_says "pack|missing|damaged|corrupt"
  run_all
  expect_eq 1 "$(rc_of "get d")"
'

test_expect_success 'a truncated pack index: verify says objects are missing; nothing hangs' '
  damage idxtrunc
  packed
  i=$(ls .strata/objects/pack/*.idx)
  truncate_to "$i" $(( $(stat -c %s "$i") / 2 ))
  # libgit2 refuses the whole pack and does not name the file; verify opens
  # each pack on its own, names it, and still reports (human and --json).
  verify_says "pack objects/pack/$(basename "$i"): invalid pack file - wrong index size"
  run_all
  expect_eq 1 "$(rc_of "get d")"
  expect_match "invalid pack file|refs/heads/main points at $MAIN_BEFORE, which is not in the repository" "$(err_of "get d")"
'

for where in 12 mid -30; do
  test_expect_success "a pack with a flipped byte at $where: verify exits 1; nothing hangs" '
    damage packflip'"$where"'
    packed
    p=$(ls .strata/objects/pack/*.pack)
    off='"$where"'
    if [ "$off" = mid ]; then off=$(( $(stat -c %s "$p") / 2 )); fi
    flip "$p" "$off"
    verify_says "[0-9a-f]{12}|pack"
    run_all
  '
done

# --- refs ----------------------------------------------------------------------------

MISSING=0123456789abcdef0123456789abcdef01234567

test_expect_success 'a branch that points at a missing object: verify names the branch and the id' '
  damage refside
  sgit update-ref --no-deref refs/heads/side $MAIN_BEFORE
  echo $MISSING >.strata/refs/heads/side
  sgit pack-refs --all 2>/dev/null || true
  verify_says "refs/heads/side.*$MISSING|$MISSING.*refs/heads/side"
  run_all
  expect_eq 0 "$(rc_of "get d")"
  expect_eq 1 "$(rc_of "merge side")"
  expect_match "$MISSING|side" "$(err_of "merge side")"
'

test_expect_success 'a tag that points at a missing object: verify names the tag' '
  damage reftag
  rm -f .strata/refs/tags/v1
  sed -i "/refs\/tags\/v1$/d" .strata/packed-refs 2>/dev/null || true
  echo $MISSING >.strata/refs/tags/v1
  verify_says "refs/tags/v1"
  run_all
  expect_eq 0 "$(rc_of "get d")"
  expect_eq 0 "$(rc_of "log")"
'

test_expect_success 'the current branch (HEAD) points at a missing object: every read says so' '
  damage refmain
  rm -f .strata/refs/heads/main
  sed -i "/refs\/heads\/main$/d" .strata/packed-refs 2>/dev/null || true
  echo $MISSING >.strata/refs/heads/main
  verify_says "refs/heads/main"
  run_all
  for c in "get d" "log" "show" "ls"; do
    expect_eq 1 "$(rc_of "$c")" "$c"
    expect_match "$MISSING|main" "$(err_of "$c")"
  done
'

# --- deltas --------------------------------------------------------------------------

test_expect_success 'a merge version whose delta does not give its state: verify names it' '
  damage mergedelta
  merge=$(sgit rev-parse main~2)
  expect_eq 2 "$(sgit rev-list --parents -n 1 $merge | wc -w | tr -d " " | sed "s/3/2/")"
  tree=$( { sgit ls-tree $merge | grep -v "	delta.zst$"; sgit ls-tree main~4 | grep "	delta.zst$"; } | sgit mktree)
  bad=$(sgit -c user.name=x -c user.email=x@x commit-tree "$tree" -p $merge^1 -p $merge^2 -m "forged merge")
  sgit update-ref refs/heads/main "$bad"
  verify_says "${bad:0:12}.*delta|delta.*${bad:0:12}"
  run_all
  expect_eq 0 "$(rc_of "get d")"
'

# --- reflogs ------------------------------------------------------------------------
# A reflog is not history: verify notes damage to one (exit 0), as git fsck
# and git reflog skip malformed lines, except an entry naming an object that
# is not there (exit 1, as git fsck). docs/reliability.md says why.

# verify_notes REGEX...: verify exits 0 and prints a note matching each REGEX.
verify_notes() {
  local rc=0 re
  timeout 20 "$STRATA" verify >"$TRASH/.vout" 2>&1 || rc=$?
  expect_eq 0 "$rc" "strata verify exit code: $(head -c 600 "$TRASH/.vout")"
  for re in "$@"; do
    expect_match "^strata: note: $re" "$(cat "$TRASH/.vout")"
  done
}
# reflog_reads_ok: what every reflog case must still do besides verify.
reflog_reads_ok() {
  run_all
  for c in "get d" "get e" "log" "show" "ls" "history d" "set e /new 1"; do
    expect_eq 0 "$(rc_of "$c")" "$c"
  done
  expect_eq "$GOOD_LOG" "$(strata log --json)"
  strata gc >/dev/null
  expect_eq "$GOOD_LOG" "$(strata log --json)"
}
REFLOG=.strata/logs/refs/heads/main
GOOD_AT1=$(cd base && strata get d@main@{1})
REFLOG_LINES=$(wc -l <base/$REFLOG)

test_expect_success 'a pack index without its pack (a transfer killed between renames): a note; gc removes it' '
  damage loneidx
  packed
  i=$(ls .strata/objects/pack/*.idx)
  lone=.strata/objects/pack/pack-0000000000000000000000000000000000000001.idx
  cp "$i" "$lone"
  verify_notes "objects/pack/$(basename "$lone") has no .pack beside it \\(left by a transfer killed between its two renames\\)"
  reflog_reads_ok
  # A young one may belong to a transfer about to rename its pack: kept.
  strata gc >/dev/null
  test -f "$lone"
  touch -d "2 hours ago" "$lone"
  strata gc >/dev/null
  test ! -e "$lone"
  expect_eq "" "$(strata verify 2>&1 | grep "note:")"
'

test_expect_success 'a reflog cut mid-line: verify notes the line and the last entry; reads work' '
  damage reflogtruncated
  truncate_to $REFLOG $(( $(stat -c %s $REFLOG) - 30 ))
  verify_notes \
    "reflog $TRASH/reflogtruncated/$REFLOG line $REFLOG_LINES is malformed: it is cut short \\(the file ends in the middle of it\\): .*git and strata skip it, so main@\\{N\\} counts past it" \
    "reflog $TRASH/reflogtruncated/$REFLOG line $((REFLOG_LINES - 1)) \\(the last entry\\): its new id [0-9a-f]{12} is not where refs/heads/main points now \\(${MAIN_BEFORE:0:12}\\)"
  reflog_reads_ok
  expect_eq 0 "$(rc_of "get d@main@{1}")"
'

test_expect_success 'garbage lines in a reflog: verify notes each by its line; main@{1} reads as before' '
  damage refloggarbage
  printf "not a reflog line\n\377\376 at all\n" >>$REFLOG
  verify_notes \
    "reflog $TRASH/refloggarbage/$REFLOG line $((REFLOG_LINES + 1)) is malformed: it does not start with an old version id: .not a reflog line." \
    "reflog $TRASH/refloggarbage/$REFLOG line $((REFLOG_LINES + 2)) is malformed: it does not start with an old version id: .\\?\\? at all."
  expect_eq "$GOOD_AT1" "$(strata get d@main@{1})"
  reflog_reads_ok
'

test_expect_success 'bad fields in a reflog line: each is named (new id, committer, time, zone)' '
  damage reflogfields
  first=$(head -n 1 $REFLOG)
  old=${first:0:40}; new=${first:41:40}
  {
    echo "$old xyz Someone <s@x> 1700000000 +0000	bad new id"
    echo "$old $new Someone s@x 1700000000 +0000	no email brackets"
    echo "$old $new Someone <s@x>	no time"
    echo "$old $new Someone <s@x> 17000x0000 +0000	bad time"
    echo "$old $new Someone <s@x> 1700000000 0000	bad zone"
  } >>$REFLOG
  n=$REFLOG_LINES
  verify_notes \
    "reflog .*/$REFLOG line $((n + 1)) is malformed: its second field is not a new version id" \
    "reflog .*/$REFLOG line $((n + 2)) is malformed: it has no committer .NAME <EMAIL>." \
    "reflog .*/$REFLOG line $((n + 3)) is malformed: it has no time after the committer" \
    "reflog .*/$REFLOG line $((n + 4)) is malformed: its time is not a number of seconds" \
    "reflog .*/$REFLOG line $((n + 5)) is malformed: its time zone is not \\+HHMM or -HHMM"
  reflog_reads_ok
'

test_expect_success 'a removed reflog: verify notes it; main@{N} says the reflog is missing and what to use' '
  damage reflogmissing
  rm $REFLOG
  verify_notes "branch main has no reflog \\($TRASH/reflogmissing/$REFLOG is missing\\): main@\\{N\\} and main@\\{DATE\\} cannot name its earlier versions"
  expect_fail 1 strata get d@main@{1}
  expect_eq "strata: error: revision '"'"'main@{1}'"'"': branch main has no reflog ($TRASH/reflogmissing/$REFLOG is missing or empty), and @{N} counts its earlier positions in it; name the version by its id instead ('"'"'strata log main'"'"' lists them)" "$(err)"
  run_all
  expect_eq 1 "$(rc_of "get d@main@{1}")"
  for c in "get d" "get e" "log" "show" "ls" "history d"; do
    expect_eq 0 "$(rc_of "$c")" "$c"
  done
  expect_eq "$GOOD_LOG" "$(strata log --json)"
  strata gc >/dev/null
  # the next write starts a new reflog, and @{1} reads again
  strata set e /again 1 >/dev/null
  test -s $REFLOG
  expect_eq "$GOOD_E" "$(strata get e@main@{1})"
  strata verify >"$TRASH/.vout" 2>&1
  expect_no_match "has no reflog" "$(cat "$TRASH/.vout")"
'

test_expect_success 'main@{N} past the reflog says how many entries there are' '
  damage reflogshort
  expect_fail 1 strata get d@main@{$REFLOG_LINES}
  expect_eq "strata: error: revision '"'"'main@{$REFLOG_LINES}'"'"': the reflog of branch main ($TRASH/reflogshort/$REFLOG) has $REFLOG_LINES entries, so main@{0} to main@{$((REFLOG_LINES - 1))} name its positions; for an older version, name the version by its id instead ('"'"'strata log main'"'"' lists them)" "$(err)"
  strata get d@main@{$((REFLOG_LINES - 1))} >/dev/null
'

test_expect_success 'a reflog entry that does not continue the one before it: a note naming the line' '
  damage reflogchain
  python3 - $REFLOG <<-\EOF
	import sys
	lines = open(sys.argv[1]).read().splitlines(True)
	lines[2] = lines[0][41:81] + lines[2][40:]  # an id that exists, but not the one before
	open(sys.argv[1], "w").write("".join(lines))
	EOF
  first_new=$(sed -n 1p $REFLOG | cut -c 42-53)
  verify_notes "reflog .*/$REFLOG line 3: its old id $first_new is not the previous entry.s new id [0-9a-f]{12}: the ref moved without a log entry between them"
  reflog_reads_ok
'

test_expect_success 'a reflog entry naming a missing object: verify fails naming the file and line' '
  damage reflogobject
  python3 - $REFLOG <<-\EOF
	import sys
	lines = open(sys.argv[1]).read().splitlines(True)
	lines[1] = lines[1][:41] + "'"$MISSING"'" + lines[1][81:]
	open(sys.argv[1], "w").write("".join(lines))
	EOF
  verify_says "reflog .*/$REFLOG: 1 id names an object not in the repository \\(first: line 2, $MISSING\\)"
  run_all
  for c in "get d" "log" "show" "ls"; do
    expect_eq 0 "$(rc_of "$c")" "$c"
  done
'

# --- caches --------------------------------------------------------------------------

test_expect_success 'a damaged version index is never trusted: log and history read as before' '
  damage vindex
  f=.strata/version-index
  test -s "$f"
  GOOD_HISTORY=$(strata history d --json)
  for how in flip-mid truncate garbage swap; do
    cp ../base/.strata/version-index "$f"
    case $how in
      flip-mid) flip "$f" $(( $(stat -c %s "$f") / 2 )) ;;
      truncate) truncate_to "$f" $(( $(stat -c %s "$f") / 3 )) ;;
      garbage) head -c 4096 /dev/urandom >"$f" ;;
      swap) python3 -c "
import sys
d = open(sys.argv[1], \"rb\").read()
h = len(d) // 2
open(sys.argv[1], \"wb\").write(d[h:] + d[:h])
" "$f" ;;
    esac
    expect_eq "$GOOD_LOG" "$(strata log --json)" "log after $how"
    expect_eq "$GOOD_HISTORY" "$(strata history d --json)" "history after $how"
    strata verify >/dev/null
  done
'

test_expect_success 'a damaged view cache is never trusted: reads through the perspective are as before' '
  damage views
  v=$(ls .strata/views/* | head -n 1)
  test -s "$v"
  GOOD_PUB=$(strata get d --perspective pub)
  GOOD_PLOG=$(strata log -p --perspective pub --json)
  expect_eq "{\"a\":2,\"b\":\"main\",\"c\":3}" "$GOOD_PUB"
  for how in flip truncate garbage swapviews; do
    cp ../base/.strata/views/$(basename "$v") "$v"
    case $how in
      flip) flip "$v" 3 ;;
      truncate) truncate_to "$v" 50 ;;
      garbage) printf "zz\n%s\n" "$(head -c 300 /dev/urandom | od -An -tx1 | tr -d " \n")" >>"$v" ;;
      # each line names the view of another source: a cache that trusted
      # its lines would give one document the view of another
      swapviews) python3 -c "
import sys
lines = open(sys.argv[1]).read().splitlines()
srcs = [l.split(\" \")[0] for l in lines]
out = [\" \".join([srcs[(i + 1) % len(srcs)]] + l.split(\" \")[1:]) for i, l in enumerate(lines)]
open(sys.argv[1], \"w\").write(\"\\n\".join(out) + \"\\n\")
" "$v" ;;
    esac
    expect_eq "$GOOD_PUB" "$(strata get d --perspective pub)" "get after $how"
    expect_eq "$GOOD_PLOG" "$(strata log -p --perspective pub --json)" "log -p after $how"
  done
'

test_done
