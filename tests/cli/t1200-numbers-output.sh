#!/usr/bin/env bash
# Numbers as people write them, duplicate keys, pretty/compact and colour.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
strata set seed /v 0 >/dev/null
cd "$TRASH"

test_expect_success 'numbers are stored and printed canonically (table)' '
  cd r
  while read -r input want; do
    strata set n /v -- "$input" >/dev/null
    expect_eq "$want" "$(strata get n /v)" "set $input"
  done <<-\EOT
	1.5 1.5
	-0 0
	-0.0 0
	10.0 10
	1E2 100
	1e2 100
	0.1 0.1
	1e100 1e+100
	1e21 1e+21
	1e-7 1e-7
	1e-6 0.000001
	100.5e-2 1.005
	12345678901234567890 12345678901234567890
	18446744073709551615 18446744073709551615
	-9223372036854775808 -9223372036854775808
	9007199254740993 9007199254740993
	1e19 10000000000000000000
	18446744073709551616.0 18446744073709552000
	18446744073709552000 18446744073709552000
	100000000000000000000 100000000000000000000
	123456789012345678901234567890e0 1.2345678901234568e+29
	5e-324 5e-324
	1.7976931348623157e308 1.7976931348623157e+308
	EOT
'

test_expect_success 'numbers inside documents keep their canonical form (put, exact bytes)' '
  cd r
  printf "{\"a\":-0,\"b\":-0.0,\"c\":[10.0,1E2,1.5e0,12345678901234567890,1e400e]}" >bad.json
  expect_fail 1 strata put m bad.json
  printf "{\"a\":-0,\"b\":-0.0,\"c\":[10.0,1E2,1.5e0,12345678901234567890,0.5e-6]}" | strata put m - >/dev/null
  expect_eq "{\"a\":0,\"b\":0,\"c\":[10,100,1.5,12345678901234567890,5e-7]}" "$(strata get m)"
  expect_eq "{\"a\":0,\"b\":0,\"c\":[10,100,1.5,12345678901234567890,5e-7]}" "$(sgit cat-file -p main:state/m)"
'

test_expect_success '1e400 is refused, naming the pointer; nothing written' '
  cd r
  snapshot_repo
  printf "{\"a\":{\"b\":[1,1e400]}}" >f.json
  expect_fail 1 strata put big f.json
  expect_eq "strata: error: f.json:1:14: number out of range at pointer '"'"'/a/b/1'"'"': JSON numbers must fit a double (about 1.8e308)" "$(err)"
  printf "[-1e400]" | expect_fail 1 strata put big -
  expect_match "out of range at pointer '"'"'/0'"'"'" "$(err)"
  expect_fail 1 strata set big /v 1e400
  expect_match "out of range" "$(err)"
  expect_fail 1 strata set big /v -- -1e400
  echo "[{\"op\":\"add\",\"path\":\"/big\",\"value\":{\"x\":1e999}}]" >p.json
  expect_fail 1 strata patch p.json
  expect_match "out of range" "$(err)"
  expect_repo_unchanged
  expect_eq 0 "$(sgit grep -c -i -e Infinity -e NaN main -- 2>/dev/null | wc -l)"
'

test_expect_success 'equal numbers are equal values: 1, 1.0, 1e0 write nothing new' '
  cd r
  strata set n /v 1 >/dev/null
  before=$(sgit rev-parse main)
  expect_eq "nothing changed; no version written" "$(strata set n /v 1.0)"
  expect_eq "nothing changed; no version written" "$(strata set n /v 1e0)"
  expect_eq "nothing changed; no version written" "$(strata set n /v 100e-2)"
  expect_eq "$before" "$(sgit rev-parse main)"
'

test_expect_success 'numbers in diff, show and log --json are printed the same way' '
  cd r
  strata set n /v 1.5 >/dev/null
  strata set n /v 1E2 >/dev/null
  expect_eq "~ n /v  1.5 -> 100" "$(strata diff HEAD~1)"
  expect_eq "[{\"op\":\"replace\",\"path\":\"/n/v\",\"value\":100}]" "$(strata diff HEAD~1 --format patch)"
  expect_eq "~ n /v  1.5 -> 100" "$(strata show | tail -n 1)"
  expect_no_match "E[0-9+-]" "$(strata show --json)"
'

test_expect_success 'duplicate keys: the last one wins, at any depth' '
  cd r
  printf "{\"a\":1,\"b\":{\"x\":1,\"x\":[2]},\"a\":3}" | strata put dup - >/dev/null
  expect_eq "{\"a\":3,\"b\":{\"x\":[2]}}" "$(strata get dup)"
  strata set dup /c "{\"k\":1,\"k\":2}" >/dev/null
  expect_eq "{\"k\":2}" "$(strata get dup /c)"
'

test_expect_success 'strings: escapes are canonical, non-ASCII stays UTF-8' '
  cd r
  cat >s.json <<-\EOT
	["\u00e9\u0041\/\b\f\n\r\t\u0001\u001f\\\"", "\ud83d\ude00"]
	EOT
  strata put s s.json >/dev/null
  cat >expect <<-\EOT
	["éA/\b\f\n\r\t\u0001\u001f\\\"","😀"]
	EOT
  strata get s >out
  expect_files_eq expect out
'

test_expect_success 'piped output has no colour; --color=always adds ANSI escapes' '
  cd r
  for c in "get m" "log" "show" "diff HEAD~2" "ls" "verify"; do
    out=$(strata $c)
    expect_no_match $'"'"'\x1b\['"'"' "$out"
    out=$(strata $c --color=always)
    expect_match $'"'"'\x1b\['"'"' "$out"
    out=$(strata --color=always $c)
    expect_match $'"'"'\x1b\['"'"' "$out"
    out=$(strata $c --color=never)
    expect_no_match $'"'"'\x1b\['"'"' "$out"
  done
'

test_expect_success '--color=always colours a value by type, byte for byte' '
  cd r
  strata set col "" "{\"b\":true,\"n\":null,\"s\":\"t\",\"x\":2}" >/dev/null
  E=$(printf "\033")
  expect_eq "{${E}[34m\"b\"${E}[0m:${E}[35mtrue${E}[0m,${E}[34m\"n\"${E}[0m:${E}[35mnull${E}[0m,${E}[34m\"s\"${E}[0m:${E}[32m\"t\"${E}[0m,${E}[34m\"x\"${E}[0m:${E}[36m2${E}[0m}" \
    "$(strata get col --color=always)"
'

test_expect_success 'on a terminal: colour by default, none with NO_COLOR or --color=never' '
  need_tty
  cd r
  for c in "get col" "log" "show" "diff HEAD~2" "ls"; do
    out=$(on_tty "$STRATA" $c)
    expect_match $'"'"'\x1b\['"'"' "$out"
    out=$(NO_COLOR=1 on_tty "$STRATA" $c)
    expect_no_match $'"'"'\x1b\['"'"' "$out"
    out=$(NO_COLOR=1 on_tty "$STRATA" $c --color=auto)
    expect_no_match $'"'"'\x1b\['"'"' "$out"
    out=$(on_tty "$STRATA" $c --color=never)
    expect_no_match $'"'"'\x1b\['"'"' "$out"
  done
'

test_expect_success 'on a terminal, an empty NO_COLOR does not disable colour' '
  need_tty
  cd r
  out=$(NO_COLOR= on_tty "$STRATA" get col)
  expect_match $'"'"'\x1b\['"'"' "$out"
'

test_expect_success 'on a terminal, --json is indented; piped it is one line' '
  need_tty
  cd r
  expect_eq 1 "$(strata log --json | wc -l)"
  test "$(on_tty "$STRATA" log --json --color=never | wc -l)" -gt 10
  out=$(on_tty "$STRATA" get col --json --color=never)
  python3 -c "import json,sys; json.loads(sys.argv[1])" "$out"
'

test_expect_success 'set VALUE out of range names the pointer it was to be set at' '
  cd r
  expect_fail 1 strata set n /v 1e400
  # actual: VALUE: number out of range at pointer '"''"': ...
  expect_match "/v" "$(err)"
'

test_done
