#!/usr/bin/env bash
# The write journal (repo/journal.h, docs/format.md "The write journal"): a
# one-field version is made durable by one record and one fdatasync, and
# what a power loss takes from the files it did not sync (the pack, the
# ref's rename) is put back when the repository is next opened after the
# restart.
#
# A power loss is simulated on what it may leave: the ref file as it was
# before the version (its old inode, kept by a hard link, renamed back),
# the version's pack missing or torn, the new ref file empty. The restart
# is STRATA_JOURNAL_TEST_BOOT_ID, which stands for
# /proc/sys/kernel/random/boot_id.
. "$(dirname "$0")/lib.sh"

random_text() { head -c 2250 /dev/urandom | base64 -w0; }
packs() { ls .strata/objects/pack/pack-*.pack 2>/dev/null | sort; }

# journaled_set VALUE: `strata set doc /a VALUE`, keeping the ref file it
# replaces as main.old and the names of the packs it adds in new.packs.
journaled_set() {
  packs >packs.before
  ln -f .strata/refs/heads/main main.old
  strata set doc /a "$1" >/dev/null
  packs >packs.after
  comm -13 packs.before packs.after >new.packs
  [ -s new.packs ]
}

# The rename of the ref never reached the disk.
lose_ref_move() { mv -f main.old .strata/refs/heads/main; }

restarted() { STRATA_JOURNAL_TEST_BOOT_ID=restart-$RANDOM-$RANDOM "$@"; }

check_clean() {
  strata verify >verify.out 2>&1 || { cat verify.out; return 1; }
  sgit fsck --strict >fsck.out 2>&1 || { cat fsck.out; return 1; }
  expect_no_match "error|warning" "$(cat fsck.out)"
}

test_expect_success 'a write makes the journal, whole, once' '
  new_repo r
  sgit config strata.gcAuto 0
  for i in 1 2 3; do strata set doc /a "$i" >/dev/null; done
  expect_eq 1048576 "$(stat -c %s .strata/journal)" &&
  expect_eq 3 "$(strata get doc /a)" &&
  check_clean
'

test_expect_success 'lost: the ref move and the pack; a restart puts both back' '
  cd r
  journaled_set 4
  lose_ref_move
  while read -r p; do rm -f "$p" "${p%.pack}.idx"; done <new.packs
  expect_eq 3 "$(strata get doc /a)" &&
  expect_eq 4 "$(restarted strata get doc /a)" &&
  while read -r p; do test -s "$p" && test -s "${p%.pack}.idx"; done <new.packs &&
  expect_eq 4 "$(strata get doc /a)" &&
  # The writer appended its reflog line before the power loss: no second one.
  expect_no_match "recovered" "$(sgit reflog show main -n 1)" &&
  check_clean
'

test_expect_success 'torn: the pack (zeros) and the new ref file (empty); a restart mends both' '
  cd r
  journaled_set 5
  p=$(head -n 1 new.packs)
  size=$(stat -c %s "$p")
  chmod u+w "$p"
  head -c "$size" /dev/zero >"$p"
  : >.strata/refs/heads/main
  expect_eq 5 "$(restarted strata get doc /a)" &&
  expect_eq 5 "$(strata get doc /a)" &&
  check_clean
'

test_expect_success 'a ref another program moved after the journaled move stays where it put it' '
  cd r
  journaled_set 6
  sgit update-ref refs/heads/main main~2
  expect_eq 4 "$(restarted strata get doc /a)" &&
  check_clean &&
  strata set doc /a 7 >/dev/null &&
  expect_eq 7 "$(strata get doc /a)"
'

test_expect_success 'a writer killed after its record has committed: a restart finishes its move' '
  cd r
  rc=0
  STRATA_JOURNAL_TEST_STOP=recorded strata set doc /a 8 >/dev/null 2>&1 || rc=$?
  expect_eq 137 "$rc" &&
  test -e .strata/refs/heads/main.lock &&
  expect_eq 7 "$(strata get doc /a)" &&
  expect_eq 8 "$(restarted strata get doc /a)" &&
  test ! -e .strata/refs/heads/main.lock &&
  # The killed writer appended no reflog line: recovery writes one, so the
  # reflogs end where the refs are and verify has nothing to note.
  expect_match "recovered from the journal" "$(sgit reflog show main -n 1)" &&
  expect_match "recovered from the journal" "$(sgit reflog show HEAD -n 1)" &&
  expect_eq "$(sgit rev-parse main)" "$(sgit rev-parse main@{0})" &&
  check_clean &&
  expect_no_match "reflog" "$(cat verify.out)" &&
  strata set doc /a 9 >/dev/null &&
  expect_eq 9 "$(strata get doc /a)"
'

test_expect_success 'after gc a restart brings back no pack gc removed' '
  cd r
  strata set doc /a 10 >/dev/null
  strata gc >/dev/null
  packs >packs.gc
  expect_eq 1 "$(wc -l <packs.gc)" &&
  restarted strata get doc /a >/dev/null &&
  packs >packs.now &&
  cmp packs.gc packs.now
'

test_expect_success 'a full journal is checkpointed and the records go on after it' '
  new_repo full
  sgit config strata.gcAuto 0
  strata set doc /a 0 >/dev/null
  strata set doc /a 1 >/dev/null
  # Values of 3,000 random characters: a record holds ~7 KiB, and 1 MiB
  # about 150 of them.
  generation() { od -An -t u8 -j 16 -N 8 .strata/journal | tr -d " "; }
  before=$(generation)
  for i in $(seq 1 400); do strata set doc "/k$i" "\"$(random_text)\"" >/dev/null; done
  # Checkpointed (each starts a generation) as it filled.
  [ "$(generation)" -ge $((before + 2)) ] || { echo "FAIL: generation $(generation)"; false; }
  journaled_set 1000
  lose_ref_move
  while read -r p; do rm -f "$p" "${p%.pack}.idx"; done <new.packs
  expect_eq 1000 "$(restarted strata get doc /a)" &&
  expect_eq 3000 "$(strata get doc /k400 | tr -d "\"\n" | wc -c)" &&
  check_clean
'

test_expect_success 'strata.journal = false: versions are fsynced as before, the journal untouched' '
  cd r
  sgit config strata.journal false
  cp .strata/journal journal.before
  strata set doc /a 11 >/dev/null
  cmp .strata/journal journal.before &&
  expect_eq 11 "$(strata get doc /a)" &&
  sgit config --unset strata.journal
'

test_expect_success 'a journal header that is not whole is named, not read' '
  new_repo bad
  strata set doc /a 1 >/dev/null
  printf "garbage" | dd of=.strata/journal conv=notrunc 2>/dev/null
  expect_fail 1 strata get doc /a &&
  expect_match "journal has no valid header.*rm " "$(err)"
'

test_done
