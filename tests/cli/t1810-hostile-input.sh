#!/usr/bin/env bash
# Hostile input (issue 12): each is refused with one clear line, or stored
# exactly as docs/format.md says, and the repository stays intact (refs
# unchanged, verify passes). docs/reliability.md "Hostile input" lists the
# outcomes. Related cases live elsewhere and are not repeated here:
# t1100-deep-json.sh (10,000 and 100,000 levels through put, get, set, diff,
# patch, show, import and verify), t0800-errors.sh (bad JSON, bad UTF-8 and
# lone surrogates in a document, bad ids and labels), t0310 (RFC 6902).
. "$(dirname "$0")/lib.sh"

# nest OPEN CLOSE LEAF N: OPEN^N LEAF CLOSE^N
nest() { printf "$1%.0s" $(seq "$4"); printf "%s" "$3"; printf "$2%.0s" $(seq "$4"); }

new_repo r >/dev/null
echo '{"a":{"x":1},"b":[1,2]}' | strata put d - >/dev/null
cd "$TRASH"

# intact: the repository has exactly the refs it had, verifies, and git fsck
# --strict is clean. Call after expect_repo_unchanged.
intact() {
  strata verify >/dev/null
  sgit fsck --strict --no-progress --no-dangling >"$TRASH/.fsck" 2>&1
  expect_eq "" "$(cat "$TRASH/.fsck")" "git fsck --strict"
}

# --- depth -------------------------------------------------------------------

test_expect_success 'depth: JSON Lines and patch files deeper than 100,000 are refused, naming the line' '
  cd r
  snapshot_repo
  nest "[" "]" 1 100001 >deep.json
  { printf "{\"id\":\"x\",\"doc\":"; cat deep.json; printf "}\n"; } >deep.jsonl
  expect_fail 1 strata import deep.jsonl
  expect_match "^strata: error: deep.jsonl:1:[0-9]+: .*(deep|nest)" "$(err)"
  { printf "[{\"op\":\"add\",\"path\":\"/x\",\"value\":"; cat deep.json; printf "}]"; } >deep-patch.json
  expect_fail 1 strata patch deep-patch.json
  expect_match "^strata: error: deep-patch.json:1:[0-9]+: " "$(err)"
  expect_repo_unchanged
  intact
'

test_expect_success 'depth: a set VALUE as deep as one argument can hold (65,000 levels)' '
  rm -rf deepset; new_repo deepset >/dev/null
  # An argument is at most 128 KiB on Linux, so a set VALUE cannot reach the
  # 100,000 limit; the document is two levels deeper than the value at /a/b.
  v=$(nest "[" "]" 1 65000)
  strata set deepset /a/b "$v" >/dev/null
  expect_eq "$v" "$(strata get deepset /a/b)"
  intact
'

test_expect_success 'depth: a merge of two documents 20,000 levels deep, clean and conflicting' '
  rm -rf m; new_repo m >/dev/null
  nest "{\"a\":" "}" "{\"leaf\":1,\"other\":1}" 20000 >base.json
  strata put deep base.json >/dev/null
  strata branch side >/dev/null
  P=$(printf "/a%.0s" $(seq 20000))
  strata set deep "$P/leaf" 2 >/dev/null
  strata switch side >/dev/null
  strata set deep "$P/other" 3 >/dev/null
  strata switch main >/dev/null
  strata merge side >/dev/null
  expect_eq "{\"leaf\":2,\"other\":3}" "$(strata get deep "$P")"
  strata verify >/dev/null
  # both change the same deep member: a conflict, named by its pointer
  strata set deep "$P/leaf" 4 >/dev/null
  strata switch side >/dev/null
  strata set deep "$P/leaf" 5 >/dev/null
  strata switch main >/dev/null
  refs=$(cat .strata/HEAD; sgit for-each-ref)
  rc=0; strata merge side >out 2>errout || rc=$?
  expect_eq 1 "$rc"
  expect_match "CONFLICT \(both modified +deep $P/leaf\)" "$(cat out)"
  strata merge --abort >/dev/null
  # (the conflicted merge left its objects, unreachable now: refs are what count)
  expect_eq "$refs" "$(cat .strata/HEAD; sgit for-each-ref)"
  expect_eq "{\"leaf\":4,\"other\":3}" "$(strata get deep "$P")"
  intact
'

# --- numbers -------------------------------------------------------------------

# input|what get prints ("refused" when the write must fail naming the pointer;
# "refused-integer" when it must fail naming the integer and how to store it)
NUMBERS='1e400|refused
-1e400|refused
1E+400|refused
1e-400|0
-0|0
-0.0|0
-0e5|0
0.0|0
18446744073709551615|18446744073709551615
18446744073709551616|refused-integer
18446744073709551617|refused-integer
-9223372036854775809|refused-integer
123456789012345678901234567890|refused-integer
18446744073709551616.0|18446744073709552000
1.8446744073709551617e19|18446744073709552000
-9223372036854775809.0|-9223372036854775808
18446744073709552000|18446744073709552000
100000000000000000000|100000000000000000000
-9223372036854775808|-9223372036854775808
9007199254740993|9007199254740993
100000000000000000000000|1e+23
1.5e300|1.5e+300
4.9e-324|5e-324'

test_expect_success 'numbers: set, put, patch and import agree on what is stored (table)' '
  cd r
  while IFS="|" read -r in want; do
    for via in set put patch import; do
      snapshot_repo
      case $via in
        set) cmd="strata set n /v $in" ;;
        put) echo "{\"v\":$in}" >n.json; cmd="strata put n n.json" ;;
        patch) echo "[{\"op\":\"add\",\"path\":\"/n\",\"value\":{\"v\":$in}}]" >n-patch.json
               strata rm n >/dev/null 2>&1 || true; snapshot_repo
               cmd="strata patch n-patch.json" ;;
        import) echo "{\"id\":\"n\",\"doc\":{\"v\":$in}}" >n.jsonl; cmd="strata import n.jsonl" ;;
      esac
      if [ "$want" = refused-integer ]; then
        expect_fail 1 $cmd
        expect_match "(VALUE|n.json|n-patch.json|n.jsonl):1:[0-9]+: integer $in does not fit 64 bits .* store it as a string \\(\"$in\"\\), or write it with a fraction or an exponent \\($in\\.0\\)" "$(err)"
        expect_repo_unchanged
      elif [ "$want" = refused ]; then
        expect_fail 1 $cmd
        expect_match "(/v|/n/v).*(range|too large|infinit)|(range|too large|infinit).*(/v|/n/v)|n.json:1:|n.jsonl:1:|n-patch.json:1:" "$(err)"
        expect_repo_unchanged
      else
        $cmd >/dev/null
        expect_eq "$want" "$(strata get n /v)" "$in via $via"
      fi
    done
  done <<<"$NUMBERS"
  intact
'

# --- duplicate keys --------------------------------------------------------------

test_expect_success 'duplicate keys: the last one wins, in documents, patches and JSON Lines' '
  cd r
  echo "{\"a\":1,\"a\":2,\"o\":{\"k\":1,\"k\":{\"z\":3}}}" | strata put dup - >/dev/null
  expect_eq "{\"a\":2,\"o\":{\"k\":{\"z\":3}}}" "$(strata get dup)"
  strata set dup /s "{\"q\":1,\"q\":[2]}" >/dev/null
  expect_eq "{\"q\":[2]}" "$(strata get dup /s)"
  # a patch operation whose op appears twice: the last (remove) is the one applied
  echo "[{\"op\":\"add\",\"op\":\"remove\",\"path\":\"/dup/s\"}]" | strata patch - >/dev/null
  expect_fail 1 strata get dup /s
  # a JSON Lines line naming two ids: the last one is the document written
  echo "{\"id\":\"dup1\",\"id\":\"dup2\",\"doc\":1}" >dup.jsonl
  strata import dup.jsonl >/dev/null
  expect_eq 1 "$(strata get dup2)"
  expect_fail 1 strata get dup1
  intact
'

# --- invalid UTF-8 and lone surrogates -----------------------------------------

test_expect_success 'invalid UTF-8 in ids, pointers, labels, messages and authors: refused, saying so' '
  cd r
  snapshot_repo
  for bad in "\377" "\300\257" "\355\240\200" "\364\220\200\200" "a\200"; do
    b=$(printf "x$bad")
    expect_fail 1 strata set "$b" /a 1
    expect_match "document id.*UTF-8" "$(err)"
    expect_fail 1 strata set d "/$b" 1
    expect_match "UTF-8" "$(err)"
    expect_fail 1 strata get d "/$b"
    expect_match "no member" "$(err)"
    expect_fail 1 strata set d /a 1 --label "$b"
    expect_match "label" "$(err)"
    expect_fail 1 strata set d /a 1 -m "$b"
    expect_match "message.*UTF-8" "$(err)"
    expect_fail 1 strata set d /a 1 --author "N$b <n@example.com>"
    expect_eq "strata: error: the author is not valid UTF-8" "$(err)"
    STRATA_AUTHOR="N$b <n@example.com>" expect_fail 1 strata set d /a 1
    expect_match "STRATA_AUTHOR.*the author is not valid UTF-8" "$(err)"
  done
  expect_repo_unchanged
  intact
'

test_expect_success 'lone surrogate escapes in a set VALUE, a key, a patch path and a JSON Lines id' '
  cd r
  snapshot_repo
  expect_fail 1 strata set d /a "\"\\ud800\""
  expect_match "VALUE:1:" "$(err)"
  expect_fail 1 strata set d /a "{\"\\udc00\":1}"
  expect_match "VALUE:1:" "$(err)"
  echo "[{\"op\":\"add\",\"path\":\"/d/\\ud800\",\"value\":1}]" >s.json
  expect_fail 1 strata patch s.json
  expect_match "s.json:1:" "$(err)"
  echo "{\"id\":\"a\\udfffb\",\"doc\":1}" >s.jsonl
  expect_fail 1 strata import s.jsonl
  expect_match "s.jsonl:1:" "$(err)"
  expect_repo_unchanged
  intact
'

# --- document ids ------------------------------------------------------------------

# id as a JSON string|the rule the error names
IDS='".."|segment
"a/../b"|segment
"./a"|segment
"/a"|segment
"a/"|segment
"a\u0000b"|control character
"a\u0001b"|control character
"a\nb"|whitespace
"a\u007fb"|control character
"a\u0085b"|whitespace
".git"|.git
"a/.git/b"|.git
"a/.GIT."|.git
"a\\b"|Windows'

test_expect_success 'hostile document ids through put, set, JSON Lines import and a patch path (table)' '
  cd r
  snapshot_repo
  while IFS="|" read -r jid rule; do
    # put and set take the id as an argument, which cannot hold NUL
    case $jid in *u0000*) ;; *)
      id=$(python3 -c "import json,sys; sys.stdout.write(json.loads(sys.argv[1]))" "$jid"; echo .)
      id=${id%.}
      expect_fail 1 strata put "$id" <<<1
      expect_match "invalid document id.*$rule" "$(err)"
      expect_fail 1 strata set "$id" /a 1
      expect_match "invalid document id.*$rule" "$(err)"
    ;; esac
    echo "{\"id\":$jid,\"doc\":1}" >id.jsonl
    expect_fail 1 strata import id.jsonl
    expect_match "id.jsonl:1: .*invalid document id.*$rule" "$(err)"
    ptr=$(python3 -c "import json,sys; s=json.loads(sys.argv[1]); print(json.dumps(\"/\" + s.replace(\"~\",\"~0\").replace(\"/\",\"~1\")))" "$jid")
    echo "[{\"op\":\"add\",\"path\":$ptr,\"value\":1}]" >id-patch.json
    expect_fail 1 strata patch id-patch.json
    expect_match "invalid document id.*$rule" "$(err)"
  done <<<"$IDS"
  expect_repo_unchanged
  intact
'

test_expect_success 'a 10,000-character id is refused (the limit is 1024 bytes); 1024 is accepted' '
  cd r
  snapshot_repo
  long=$(printf "x%.0s" $(seq 10000))
  expect_fail 1 strata put "$long" <<<1
  expect_eq "strata: error: invalid document id '"'"'$(printf "x%.0s" $(seq 64))...'"'"' (10000 bytes): it is longer than 1024 bytes" "$(err)"
  echo "{\"id\":\"$long\",\"doc\":1}" >long.jsonl
  expect_fail 1 strata import long.jsonl
  expect_match "longer than 1024 bytes" "$(err)"
  expect_repo_unchanged
  ok=$(printf "y%.0s" $(seq 1024))
  strata put "$ok" <<<1 >/dev/null
  expect_eq 1 "$(strata get "$ok")"
  intact
'

# --- patches into themselves ---------------------------------------------------------

test_expect_success 'a patch that moves a value into itself is refused (RFC 6902 4.4)' '
  cd r
  snapshot_repo
  for pair in "/d/a /d/a/b" "/d /d/x" "/d/a /d/a/x/y" "  /x"; do
    set -- $pair
    if [ $# -eq 1 ]; then from=""; to=$1; else from=$1; to=$2; fi
    echo "[{\"op\":\"move\",\"from\":\"$from\",\"path\":\"$to\"}]" >mv.json
    expect_fail 1 strata patch mv.json
    expect_match "cannot move a value into one of its own children" "$(err)"
  done
  expect_repo_unchanged
  intact
'

test_expect_success 'move to the same path is a no-op; copy into its own child copies the old value' '
  cd r
  snapshot_repo
  echo "[{\"op\":\"move\",\"from\":\"/d/a\",\"path\":\"/d/a\"}]" >same.json
  expect_eq "nothing changed; no version written" "$(strata patch same.json 2>&1)"
  expect_repo_unchanged
  echo "[{\"op\":\"copy\",\"from\":\"/d/a\",\"path\":\"/d/a/self\"}]" >cp.json
  strata patch cp.json >/dev/null
  expect_eq "{\"self\":{\"x\":1},\"x\":1}" "$(strata get d /a)"
  intact
'

# --- a 100 MB string ---------------------------------------------------------------

test_expect_success 'a 100 MB string: put, get back byte for byte, verify' '
  rm -rf big; new_repo big >/dev/null
  python3 -c "
import sys
sys.stdout.write(\"\\\"\" + (\"0123456789abcdef\" * (100 * 1024 * 1024 // 16)) + \"\\\"\")
" >big.json
  strata put big big.json >/dev/null
  strata get big >out
  { cat big.json; echo; } >expect
  expect_files_eq expect out
  strata verify >/dev/null
'

test_done
