#!/usr/bin/env bash
# Bad input: one line "strata: error: ..." on stderr, exit 1 (2 for bad usage),
# nothing on stdout, and the repository exactly as it was.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
strata set d /a 1 >/dev/null
strata set d /b "[1,2]" >/dev/null
cd "$TRASH"

test_expect_success 'invalid JSON in a file: file:line:column (exact)' '
  cd r
  snapshot_repo
  printf "{\n  \"a\": 1,\n  \"b\": tru\n}\n" >bad.json
  expect_fail 1 strata put d bad.json
  expect_eq "strata: error: bad.json:3:8: invalid JSON: syntax error" "$(err)"
  printf "{\n\n   \"a\": [1,\n      2 3]}" >m.json
  expect_fail 1 strata put d m.json
  expect_match "^strata: error: m.json:4:9: " "$(err)"
  expect_repo_unchanged
'

test_expect_success 'invalid JSON, table: each names file:1:column' '
  cd r
  snapshot_repo
  while IFS="|" read -r col text; do
    printf "%s" "$text" >t.json
    expect_fail 1 strata put d t.json
    expect_match "^strata: error: t.json:1:$col: invalid JSON" "$(err)"
  done <<-\EOT
	6|[1,2,]
	8|{"a":1,}
	1|NaN
	2|{'"'"'a'"'"':1}
	2|01
	1|+1
	1|.5
	3|"\x"
	3|[1
	6|{"a" 1}
	4|tru
	3|1 2
	5|"abc
	1|// comment
	EOT
  expect_repo_unchanged
'

test_expect_success 'control characters, bad UTF-8 and lone surrogates in strings are refused' '
  cd r
  snapshot_repo
  printf "\"a\tb\"" >t.json
  expect_fail 1 strata put d t.json
  expect_match "t.json:1:3" "$(err)"
  printf "\"\xff\"" >t.json
  expect_fail 1 strata put d t.json
  expect_match "t.json:1:" "$(err)"
  printf "\"\\\\ud800\"" >t.json
  expect_fail 1 strata put d t.json
  expect_match "t.json:1:" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'invalid JSON from stdin and as a set VALUE name their source' '
  cd r
  snapshot_repo
  printf "[1,\n2,,3]" | expect_fail 1 strata put d -
  expect_match "^strata: error: (<stdin>|-|standard input):2:3: " "$(err)"
  expect_fail 1 strata set d /a "{bad"
  expect_match "^strata: error: cannot set /a: VALUE:1:2: invalid JSON" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'a pointer without a leading slash: exit 1, names the pointer' '
  cd r
  snapshot_repo
  expect_fail 1 strata set d a/b 1
  expect_eq "strata: error: invalid JSON pointer '"'"'a/b'"'"': must be empty or start with '"'"'/'"'"'" "$(err)"
  expect_fail 1 strata rm d a
  expect_match "JSON pointer" "$(err)"
  expect_fail 1 strata get d a/b
  expect_fail 1 strata set d "/a~2" 1
  expect_match "/a~2" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'unknown flag: exit 2, names it' '
  cd r
  snapshot_repo
  for c in "set d /a 2" "get d" "log" "put d" "rm d" "diff HEAD" "show" "ls" "verify" "init"; do
    expect_fail 2 strata $c --bogus
    expect_match "bogus" "$(err)"
  done
  expect_repo_unchanged
'

test_expect_success 'unknown command: exit 2, names it' '
  cd r
  snapshot_repo
  expect_fail 2 strata frobnicate
  expect_eq "strata: error: unknown command '"'"'frobnicate'"'"' (see '"'"'strata --help'"'"')" "$(err)"
  expect_fail 2 strata GET d
  expect_fail 2 strata help nosuch
  expect_repo_unchanged
'

test_expect_success 'missing or extra arguments, missing option values: exit 2' '
  cd r
  snapshot_repo
  expect_fail 2 strata put
  expect_fail 2 strata set d /a
  expect_fail 2 strata get
  expect_fail 2 strata rm
  expect_fail 2 strata set d /a 1 2
  expect_fail 2 strata get d /a /b
  expect_fail 2 strata log -n
  expect_fail 2 strata set d /a 3 --label
  expect_fail 2 strata set d /a 3 -m
  expect_fail 2 strata set d /a 3 --color sometimes
  expect_match "auto, always or never" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'bad --author: exit 1, names the value' '
  cd r
  snapshot_repo
  for a in "nobody" "A <b" "<a@b>" "Name <>" "Name" ""; do
    expect_fail 1 strata set d /a 2 --author "$a"
    expect_match "author" "$(err)"
  done
  expect_repo_unchanged
'

test_expect_success 'bad STRATA_AUTHOR or STRATA_TIME: exit 1, names the variable' '
  cd r
  snapshot_repo
  STRATA_AUTHOR=bad expect_fail 1 strata set d /a 2
  expect_match "STRATA_AUTHOR" "$(err)"
  STRATA_TIME=yesterday expect_fail 1 strata set d /a 2
  expect_match "STRATA_TIME" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'bad label: exit 1, names it' '
  cd r
  snapshot_repo
  # (a label holding a newline: its own test at the end of this script)
  for l in "has space" "semi;colon" "" "tab	tab" "é"; do
    expect_fail 1 strata set d /a 2 --label ok --label "$l"
    expect_match "label" "$(err)"
  done
  expect_repo_unchanged
'

test_expect_success 'a bad document id: exit 1, names it' '
  cd r
  snapshot_repo
  for id in "" "/x" "x/" "a//b" "." ".." "a/./b" "a/../b"; do
    expect_fail 1 strata set "$id" /a 1
    expect_match "document id" "$(err)"
  done
  expect_repo_unchanged
'

test_expect_success 'ids that would be unsafe paths or look alike are refused, saying why' '
  cd r
  snapshot_repo
  expect_fail 1 strata put .git/config <<<1
  expect_match "invalid document id .\.git/config.: .\.git. cannot be a segment" "$(err)"
  expect_fail 1 strata put a/.GIT <<<1
  expect_match "\.GIT. cannot be a segment" "$(err)"
  expect_fail 1 strata put "a\\b" <<<1
  expect_match "path separator on Windows" "$(err)"
  expect_fail 1 strata put "$(printf "cafe\314\201")" <<<1
  expect_match "not in Unicode NFC .*its NFC form is .caf$(printf "\303\251")." "$(err)"
  expect_fail 1 strata put "$(printf "a\342\200\213b")" <<<1
  expect_match "invisible format character \(U\+200B\)" "$(err)"
  expect_fail 1 strata put "$(printf "a\302\240b")" <<<1
  expect_match "whitespace \(U\+00A0\)" "$(err)"
  expect_fail 1 strata put "$(printf "a\377")" <<<1
  expect_match "not valid UTF-8" "$(err)"
  expect_fail 1 strata put .secrets <<<1
  expect_match "reserved for the repository.s settings documents" "$(err)"
  expect_fail 1 strata put a/.hidden <<<1
  expect_match "only the first segment may start with" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'errors print nothing on stdout, even with --json' '
  cd r
  snapshot_repo
  expect_fail 1 strata set d /a "{bad" --json
  expect_fail 1 strata get nosuch --json
  expect_fail 1 strata show nosuch --json
  expect_fail 1 strata diff nosuch --json
  expect_fail 1 strata log nosuch --json
  expect_repo_unchanged
'

test_expect_success 'the repository still has exactly its two versions' '
  cd r
  expect_eq 2 "$(count_versions)"
  expect_eq "{\"a\":1,\"b\":[1,2]}" "$(strata get d)"
  strata verify >/dev/null
'

test_expect_success 'an error naming a value with a newline stays on one line' '
  cd r
  expect_fail 1 strata set d /a 2 --label "new
line"
'

test_done
