#!/usr/bin/env bash
# The version index (.strata/version-index, docs/format.md): log and history
# print the same with it, without it (STRATA_VERSION_INDEX=off), with it
# deleted or damaged between runs; verify names an entry that lies.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'a history with a branch merged back, removals and labels' '
  cd r
  n=0
  for round in 1 2 3; do
    for i in 0 1 2 3 4 5 6 7; do
      n=$((n + 1))
      d=d$(( (n * 7 + round) % 5 ))
      lab=""
      [ $((n % 3)) = 0 ] && lab="--label a"
      [ $((n % 4)) = 0 ] && lab="$lab --label b"
      strata set $d /v $n -m "set $d $n" $lab --date @$((1767268800 + n * 60)) >/dev/null
    done
    [ $round = 1 ] && sgit branch side HEAD~3
    for i in 1 2 3; do
      n=$((n + 1))
      strata set d$((i + 2)) /s $n -m "side $n" --label s --branch side \
        --date @$((1767268800 + n * 60)) >/dev/null
    done
    strata rm d$round -m "rm d$round" --date @$((1767268800 + n * 60 + 1)) >/dev/null
    strata merge side --no-ff --strategy theirs -m "merge $round" --label m >/dev/null
  done
  expect_eq 3 "$(sgit log --merges --format=%H | wc -l)"
'

# Every command, its output in one file per mode.
run_all() {
  for args in "log" "log --doc d1" "log --doc d3 --doc d4" "log --path d4:/s" \
      "log --label a" "log --label a --label b --all-labels" \
      "log --label s --doc d3" "log --doc d0 -n 2 --reverse" "log -p --doc d2" \
      "log --json --doc d4" "log side --doc d3" "log main..side --doc d3" \
      "log side...main --label a" "log --grep side --doc d4" "log --stat --doc nope" \
      "history d0" "history d1 /v" "history d3 -p" "history d4 /s --json" "history d2 --rev side"; do
    echo "== $args"
    strata $args 2>&1 || echo "exit $?"
  done >"$1"
}

test_expect_success 'the same output with and without the index, cold and warm' '
  cd r
  STRATA_VERSION_INDEX=off run_all off.txt
  test ! -e .strata/version-index
  grep -q "merge 3" off.txt
  run_all cold.txt
  test -s .strata/version-index
  cp .strata/version-index built
  run_all warm.txt
  cmp built .strata/version-index
  expect_files_eq off.txt cold.txt
  expect_files_eq off.txt warm.txt
'

test_expect_success 'deleted, truncated or damaged between runs: the same output, repaired' '
  cd r
  rm .strata/version-index
  run_all deleted.txt
  expect_files_eq off.txt deleted.txt
  head -c 1000 built >.strata/version-index
  run_all torn.txt
  expect_files_eq off.txt torn.txt
  python3 -c "
import sys
b = bytearray(open(\"built\", \"rb\").read())
for at in (200, len(b) // 2, len(b) - 3):
    b[at] ^= 0x5a
open(\".strata/version-index\", \"wb\").write(bytes(b))
"
  run_all flipped.txt
  expect_files_eq off.txt flipped.txt
  echo "not an index" >.strata/version-index
  run_all garbage.txt
  expect_files_eq off.txt garbage.txt
  strata verify >/dev/null
'

test_expect_success 'verify names an entry that contradicts its commit' '
  cd r
  head=$(sgit rev-parse HEAD)
  cp built .strata/version-index
  strata verify >/dev/null
  # The record of HEAD, rewritten to say it changed no document, with a valid checksum.
  python3 - "$head" <<-\EOT
	import struct, sys
	def fnv(b):
	    h = 0xcbf29ce484222325
	    for c in b:
	        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
	    return h
	data = open(".strata/version-index", "rb").read()
	head = bytes.fromhex(sys.argv[1])
	out, pos, done = b"", 0, False
	while pos < len(data):
	    magic, length = struct.unpack_from("<II", data, pos)
	    payload = data[pos + 8:pos + 8 + length]
	    if payload[:20] == head:
	        np, nl, nd = struct.unpack_from("<HHI", payload, 48)
	        payload = payload[:52] + struct.pack("<I", 0) + payload[56:56 + 20 * np + 8 * nl]
	        done = True
	    rec = struct.pack("<II", magic, len(payload)) + payload
	    out += rec + struct.pack("<Q", fnv(rec))
	    pos += 16 + length
	assert done
	open(".strata/version-index", "wb").write(out)
	EOT
  rc=0; strata verify >out 2>errout || rc=$?
  expect_eq 1 "$rc"
  expect_match "FAILED: .* 1 problem" "$(cat out)"
  expect_match "version index.*$head.*contradicts its commit \(changed documents\)" "$(cat errout)"
  rm .strata/version-index
  strata verify >/dev/null
'

test_done
