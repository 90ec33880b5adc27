#!/usr/bin/env bash
# A one-field version costs at most 4 fsync calls (issue 11): with the write
# journal, one fdatasync of .strata/journal (its record holds the version's
# pack and the branch's move: repo/journal.h, tests/cli/t2160-journal.sh);
# without it (strata.journal = false), four: the pack and the pack folder
# (its small index is rebuilt from the pack if a power loss tore it), the
# ref's lock file and the ref's folder. Reflogs are appended without fsync,
# as git does. The reflogs still read as git's, and a torn index of the
# newest pack is rebuilt when the repository is next opened after a restart
# (a new boot id: STRATA_JOURNAL_TEST_BOOT_ID), journal or not.
. "$(dirname "$0")/lib.sh"

have_strace=yes
command -v strace >/dev/null 2>&1 || have_strace=no
if [ "$have_strace" = no ] && [ -n "${STRATA_REQUIRE_SERVERS:-}" ]; then
  echo "not ok - strace is not installed (scripts/install-deps.sh installs it)"
  exit 1
fi

# The newest pack's index in the current repository.
newest_idx() { ls -t .strata/objects/pack/pack-*.idx | head -n 1; }

test_expect_success 'set up: 20 versions of one document' '
  new_repo r
  for i in $(seq 1 20); do strata set doc /a "$i" >/dev/null; done
  expect_eq 20 "$(strata get doc /a)"
'

# fsync-family calls of one `strata set` in repository r, traced to `trace`.
traced_set() {
  # LeakSanitizer cannot run under ptrace: in a sanitizer build its exit
  # check would abort the traced process, so it is off for this one run.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -y -o trace -e trace=fsync,fdatasync,sync_file_range,syncfs \
    "$STRATA" set doc /a "$1" >/dev/null
  cat trace
  grep -cE "(fsync|fdatasync|sync_file_range|syncfs)\(" trace || true
}

if [ "$have_strace" = yes ]; then
  test_expect_success 'a one-field set makes one fdatasync, of the journal' '
    cd r
    n=$(traced_set 21 | tail -n 1)
    expect_eq 1 "$n" &&
    expect_match "fdatasync\([0-9]+</.*/\.strata/journal>\)" "$(cat trace)"
  '
  # Spares (objects/spare_files.h): the lock file and the pack's two files
  # are renamed into place, and the replaced ref is kept for gc to remove.
  test_expect_success 'a one-field set creates no file and removes none: it takes spares' '
    new_repo s &&
    strata set doc /a 1 >/dev/null &&
    strata set doc /a 2 >/dev/null &&
    strata gc >/dev/null &&
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -o files -e trace=openat,open,creat,unlink,unlinkat,rename,renameat2,link \
      "$STRATA" set doc /a 21.25 >/dev/null &&
    expect_eq 21.25 "$(strata get doc /a)" &&
    expect_no_match "O_EXCL|creat\\(|unlink" "$(cat files)" &&
    expect_eq 3 "$(grep -c "renameat2(.*/\\.strata/spare/s-" files)" &&
    expect_match "link\\(\".*/refs/heads/main\", \".*/spare/retired/r-" "$(cat files)" &&
    sgit fsck --strict &&
    expect_eq "garbage: 0" "$(sgit count-objects -v | grep "^garbage:")"
  '
  # Automatic gc moves the packs it replaces into spare/retired and leaves
  # freeing them, with the retired refs and making spares, to another
  # thread (objects/spare_files.h, SpareKeeper): the set that runs it
  # removes nothing itself; the process waits for that thread before it
  # exits, so nothing is left behind.
  test_expect_success 'a set that runs automatic gc leaves the removals to another thread' '
    new_repo g &&
    sgit config strata.gcAutoPackLimit 3 &&
    for i in 1 2 3; do strata set doc /a $i >/dev/null; done &&
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -o gcfiles -e trace=unlink,unlinkat,rename,renameat2 \
      "$STRATA" set doc /a 4 >/dev/null &&
    expect_eq 4 "$(strata get doc /a)" &&
    main=$(grep -m1 "renameat2(.*objects/pack/pack-[0-9a-f]*\.idx\", .*spare/retired/r-" gcfiles | cut -d" " -f1) &&
    [ -n "$main" ] &&
    expect_no_match "^$main .*unlink.*(objects/pack|spare/retired)" "$(cat gcfiles)" &&
    expect_match "unlink\(\".*/spare/retired/r-" "$(grep -v "^$main " gcfiles)" &&
    expect_no_match "unlink.*objects/pack/pack-" "$(cat gcfiles)" &&
    expect_eq 1 "$(ls .strata/objects/pack/*.pack | wc -l)" &&
    expect_eq "" "$(ls .strata/spare/retired)" &&
    expect_eq 320 "$(ls .strata/spare | grep -c "^s-")" &&
    sgit fsck --strict
  '
  test_expect_success 'with strata.journal = false, at most 4, none of a reflog' '
    cd r
    sgit config strata.journal false
    n=$(traced_set 21.5 | tail -n 1)
    sgit config --unset strata.journal
    [ "$n" -ge 1 ] && [ "$n" -le 4 ] || { echo "FAIL: $n fsync calls"; false; }
    expect_match "refs/heads/main.lock" "$(cat trace)" &&
    expect_no_match "logs/|journal" "$(cat trace)"
  '
  # RepairPackIndexes reads each small index with read(2); libgit2 maps
  # them and strata's lookups pread(2) them: a read(2) of an index is the check.
  index_reads() {
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -y -o trace -e trace=read "$@" get doc /a >/dev/null
    grep -cE "^[0-9]+ +read\([0-9]+<[^>]*\.idx>" trace || true
  }
  test_expect_success 'the small indexes are checked at the first open after a restart only' '
    cd r
    expect_eq 0 "$(index_reads "$STRATA")" &&
    n=$(index_reads env STRATA_JOURNAL_TEST_BOOT_ID=restart-$RANDOM "$STRATA") &&
    [ "$n" -ge 1 ] || { echo "FAIL: $n reads of an index after a restart"; false; }
  '
else
  test_skip 'a one-field set makes one fdatasync, of the journal' 'strace is not installed'
  test_skip 'the small indexes are checked at the first open after a restart only' 'strace is not installed'
  test_skip 'a one-field set creates no file and removes none: it takes spares' 'strace is not installed'
  test_skip 'with strata.journal = false, at most 4, none of a reflog' 'strace is not installed'
fi

test_expect_success 'reflogs read as git and strata read them; git fsck --strict is clean' '
  cd r
  strata set doc /a 22 >/dev/null
  expect_eq 22 "$(strata get doc /a)" &&
  expect_eq "{\"a\":21.5}" "$(strata get doc@main@{1} --compact)" &&
  expect_eq "{\"a\":21}" "$(strata get doc@HEAD@{2} --compact)" &&
  expect_eq "$(sgit rev-parse main@{1})" "$(sgit rev-parse HEAD~1)" &&
  expect_eq "$(sgit reflog show main | head -n 3)" "$(sgit reflog show HEAD | head -n 3 | sed s/HEAD@/main@/)" &&
  expect_match "^[0-9a-f]+ main@\{0\}: strata: set doc /a" "$(sgit reflog show main | head -n 1)" &&
  sgit fsck --strict >fsck.out 2>&1 &&
  expect_no_match "error|warning" "$(cat fsck.out)"
'

# Only a power loss tears an index whose name is in place, and the system
# restarts after one: the open that follows has another boot id.
restarted() { STRATA_JOURNAL_TEST_BOOT_ID=restart-$RANDOM-$RANDOM "$@"; }

for case in "30 empty on" "31 short on" "32 empty off" "33 short off"; do
  set -- $case
  value=$1 tear=$2 journal=$3
  test_expect_success "a torn ($tear) index of the newest pack is rebuilt at the first open after a restart (journal $journal)" '
    cd r
    if [ '"$journal"' = off ]; then sgit config strata.journal false; fi
    strata set doc /a '"$value"' >/dev/null
    sgit config --unset strata.journal || :
    idx=$(newest_idx)
    cp "$idx" idx.whole
    chmod u+w "$idx"
    if [ '"$tear"' = empty ]; then : >"$idx"; else truncate -s 1100 "$idx"; fi
    expect_eq '"$value"' "$(restarted strata get doc /a)" &&
    cmp "$idx" idx.whole &&
    strata verify >verify.out 2>&1 &&
    sgit fsck --strict >fsck.out 2>&1 &&
    expect_no_match "error|warning" "$(cat fsck.out)"
  '
done

test_done
