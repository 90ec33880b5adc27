#!/usr/bin/env bash
# put (file, stdin) and get: output format, revisions, pointers, errors.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'put from a file writes one version and says so' '
  cd r
  printf "{\"b\": [1, 2.5, \"x\"],\n \"a\": {\"n\": null, \"t\": true}}\n" >../doc.json
  out=$(strata put config/app1 ../doc.json)
  id=$(sgit rev-parse main)
  expect_eq "[main ${id:0:12}] put config/app1 (1 operation)" "$out"
  expect_eq 1 "$(count_versions)"
'

test_expect_success 'get, piped, prints compact canonical JSON (exact bytes)' '
  cd r
  strata get config/app1 >out
  printf "{\"a\":{\"n\":null,\"t\":true},\"b\":[1,2.5,\"x\"]}\n" >expect
  expect_files_eq expect out
'

test_expect_success 'get --pretty indents by two spaces; --compact wins back' '
  cd r
  strata get config/app1 --pretty >out
  cat >expect <<-\EOT
	{
	  "a": {
	    "n": null,
	    "t": true
	  },
	  "b": [
	    1,
	    2.5,
	    "x"
	  ]
	}
	EOT
  expect_files_eq expect out
  expect_eq "[1,2.5,\"x\"]" "$(strata get config/app1 /b --compact)"
'

test_expect_success 'get on a terminal is pretty by default; --compact on a terminal is one line' '
  need_tty
  cd r
  out=$(on_tty "$STRATA" get config/app1 /a --color=never)
  expect_eq "{
  \"n\": null,
  \"t\": true
}" "$out"
  out=$(on_tty "$STRATA" get config/app1 /a --color=never --compact)
  expect_eq "{\"n\":null,\"t\":true}" "$out"
'

test_expect_success 'put from standard input, with - and with no file' '
  cd r
  echo "[1,2,3]" | strata put list - >/dev/null
  expect_eq "[1,2,3]" "$(strata get list)"
  echo "\"text\"" | strata put list >/dev/null
  expect_eq "\"text\"" "$(strata get list)"
  expect_eq 3 "$(count_versions)"
'

test_expect_success 'any JSON value is a document: scalars, null, empty containers' '
  cd r
  for v in 0 -1 true false null "\"\"" "{}" "[]" "\"ü \\u0000 \\\"q\\\"\""; do
    printf "%s" "$v" | strata put scalar - >/dev/null
    got=$(strata get scalar)
    expect_eq "$v" "$got"
  done
'

test_expect_success 'put of the same value again writes nothing' '
  cd r
  before=$(sgit rev-parse main)
  out=$(strata put config/app1 ../doc.json)
  expect_eq "nothing changed; no version written" "$out"
  expect_eq "$before" "$(sgit rev-parse main)"
  # Same value, other formatting and key order: still nothing.
  printf "{ \"a\" : { \"t\" : true , \"n\" : null } , \"b\" : [ 1 , 2.50 , \"x\" ] }" | strata put config/app1 - >out
  expect_eq "nothing changed; no version written" "$(cat out)"
  expect_eq "$before" "$(sgit rev-parse main)"
'

test_expect_success 'put replaces the whole document' '
  cd r
  echo "{\"only\":1}" | strata put config/app1 - >/dev/null
  expect_eq "{\"only\":1}" "$(strata get config/app1)"
'

test_expect_success 'set up a history: v=1..4 on doc h' '
  cd r
  for i in 1 2 3 4; do strata set h /v $i >/dev/null; done
  expect_eq "{\"v\":4}" "$(strata get h)"
'

test_expect_success 'get DOC@REV: HEAD, HEAD~N, REV^, REV^^, main~N' '
  cd r
  expect_eq "{\"v\":4}" "$(strata get h@HEAD)"
  expect_eq "{\"v\":3}" "$(strata get h@HEAD~1)"
  expect_eq "{\"v\":1}" "$(strata get h@HEAD~3)"
  expect_eq "{\"v\":3}" "$(strata get h@HEAD^)"
  expect_eq "{\"v\":2}" "$(strata get h@HEAD^^)"
  expect_eq "{\"v\":2}" "$(strata get h@main~2)"
  expect_eq "{\"v\":1}" "$(strata get h@main~3^0)"
'

test_expect_success 'get DOC@TAG reads a git tag, lightweight or annotated' '
  cd r
  sgit tag v1 main~2
  sgit -c user.name=T -c user.email=t@e tag -a -m annotated v2 main~1
  expect_eq "{\"v\":2}" "$(strata get h@v1)"
  expect_eq "{\"v\":3}" "$(strata get h@v2)"
'

test_expect_success 'get DOC@ID with a full id and a unique prefix' '
  cd r
  id=$(sgit rev-parse main~3)
  expect_eq "{\"v\":1}" "$(strata get h@$id)"
  expect_eq "{\"v\":1}" "$(strata get h@${id:0:12})"
  expect_eq "{\"v\":1}" "$(strata get h@${id:0:7})"
'

test_expect_success 'get DOC POINTER reads one value, also at a revision' '
  cd r
  expect_eq 4 "$(strata get h /v)"
  expect_eq 2 "$(strata get h@v1 /v)"
  echo "{\"a/b\":{\"m~n\":[10,{\"k\":\"deep\"}]},\"\":\"empty key\"}" | strata put ptr - >/dev/null
  expect_eq "\"deep\"" "$(strata get ptr /a~1b/m~0n/1/k)"
  expect_eq 10 "$(strata get ptr /a~1b/m~0n/0)"
  expect_eq "\"empty key\"" "$(strata get ptr /)"
  expect_eq "{\"\":\"empty key\",\"a/b\":{\"m~n\":[10,{\"k\":\"deep\"}]}}" "$(strata get ptr "")"
'

test_expect_success 'get --json wraps the value with doc, rev, version and pointer' '
  cd r
  id=$(sgit rev-parse "v2^{commit}")
  out=$(strata get h@v2 /v --json)
  expect_eq "{\"doc\":\"h\",\"pointer\":\"/v\",\"rev\":\"v2\",\"value\":3,\"version\":\"$id\"}" "$out"
'

test_expect_success 'a document that does not exist: exit 1, names it' '
  cd r
  expect_fail 1 strata get nope
  expect_match "nope" "$(err)"
  expect_fail 1 strata get h@HEAD~3 /nope
  # h did not exist in the first version
  expect_fail 1 strata get h@$(sgit rev-list main | tail -n 1)
  expect_match "h" "$(err)"
'

test_expect_success 'a revision that does not exist: exit 1, names it' '
  cd r
  expect_fail 1 strata get h@nosuchbranch
  expect_match "nosuchbranch" "$(err)"
  n=$(count_versions)
  expect_fail 1 strata get h@HEAD~$n
  expect_match "HEAD~$n" "$(err)"
  expect_fail 1 strata get h@0000000000000000000000000000000000000000
'

test_expect_success 'an ambiguous or too short id prefix is refused' '
  cd r
  # Two versions whose ids share a first hex digit (17 versions guarantee one).
  while [ "$(count_versions)" -lt 17 ]; do strata set amb /v "$(count_versions)" >/dev/null; done
  p=$(sgit rev-list main | cut -c1 | sort | uniq -d | sed -n 1p)
  expect_ne "" "$p"
  expect_fail 1 strata get h@$p
'

test_expect_success 'a pointer that does not exist: exit 1, names the pointer' '
  cd r
  expect_fail 1 strata get h /nope
  expect_match "nope" "$(err)"
  expect_fail 1 strata get h /v/deeper
  expect_fail 1 strata get list /0
  echo "[1,2]" | strata put arr - >/dev/null
  expect_fail 1 strata get arr /2
  expect_match "/2|2" "$(err)"
  expect_fail 1 strata get arr /-
  expect_fail 1 strata get arr /01
  expect_fail 1 strata get arr /x
'

test_expect_success 'a pointer without a leading slash is refused' '
  cd r
  expect_fail 1 strata get h v
  expect_match "v" "$(err)"
  expect_fail 1 strata get ptr "a~1b"
  expect_fail 1 strata get ptr "/a~2b"
'

test_expect_success 'put: a missing file is an error; nothing written' '
  cd r
  snapshot_repo
  expect_fail 1 strata put x ../no-such-file.json
  expect_match "no-such-file.json" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'put: empty input is not JSON; nothing written' '
  cd r
  snapshot_repo
  expect_fail 1 strata put x </dev/null
  printf "   \n" >../blank.json
  expect_fail 1 strata put x ../blank.json
  expect_repo_unchanged
'

test_expect_success 'put: trailing garbage after the value is refused' '
  cd r
  snapshot_repo
  printf "{\"a\":1} {\"b\":2}" >../two.json
  expect_fail 1 strata put x ../two.json
  expect_match "two.json:1:" "$(err)"
  printf "[1]x" | expect_fail 1 strata put x -
  expect_repo_unchanged
'

test_expect_success 'put: a file that starts with a UTF-8 byte order mark is read without it' '
  cd r
  printf "\xef\xbb\xbf{\"a\":1}" >../bom.json
  strata put bom ../bom.json >/dev/null
  expect_eq "{\"a\":1}" "$(strata get bom)"
  # anywhere else it is still an error, with line and column
  snapshot_repo
  printf "{\"a\":\n \xef\xbb\xbf2}" >../bom2.json
  expect_fail 1 strata put bom ../bom2.json
  expect_match "bom2.json:2:2: invalid JSON" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'document ids: slashes make folders-like ids; bad ids are refused' '
  cd r
  echo 1 | strata put "a/b/c" - >/dev/null
  expect_eq 1 "$(strata get a/b/c)"
  snapshot_repo
  for bad in "" "/a" "a/" "a//b" "../x" "a/./b" "a/../b"; do
    echo 1 | expect_fail 1 strata put "$bad" -
  done
  expect_repo_unchanged
'

test_expect_success 'a document id with unicode, dots and dashes round-trips' '
  cd r
  echo "{\"x\":1}" | strata put "my-docs/é_ü/v1.2" - >/dev/null
  expect_eq "{\"x\":1}" "$(strata get "my-docs/é_ü/v1.2")"
  strata ls --json | jpath "\"\\n\".join(e[\"id\"] for e in d)" >ids
  grep -qx "my-docs/é_ü/v1.2" ids
  sgit fsck --strict 2>&1 | { ! grep -E "error|warning"; }
'

test_expect_success 'get --at reads the newest version made by then' '
  rm -rf at; new_repo at >/dev/null
  STRATA_TIME=1000 strata put d - <<<1 >/dev/null
  STRATA_TIME=2000 strata put d - <<<2 >/dev/null
  STRATA_TIME=3000 strata put d - <<<3 >/dev/null
  expect_eq 2 "$(strata get d --at @2500)"
  expect_eq 1 "$(strata get d --at 1970-01-01T00:16:40Z)"
  expect_eq 3 "$(strata get d --at 2030-01-01)"
  expect_fail 1 strata get d --at @999
  expect_match "no version on HEAD" "$(err)"
  expect_fail 1 strata get d --at tomorrow
  expect_match "invalid time" "$(err)"
'

test_expect_success 'get --at: relative times, and a date alone is the end of that local day' '
  rm -rf rel; new_repo rel >/dev/null
  now=$(date +%s)
  STRATA_TIME=$((now - 3 * 86400)) strata put d - <<<1 >/dev/null
  STRATA_TIME=$((now - 3600)) strata put d - <<<2 >/dev/null
  expect_eq 1 "$(strata get d --at yesterday)"
  expect_eq 1 "$(strata get d --at "2 hours ago")"
  expect_eq 2 "$(strata get d --at "30 minutes ago")"
  expect_eq 2 "$(strata get d --at now)"
  expect_fail 1 strata get d --at "4.days.ago"
  # In UTC+1 the day 1970-01-02 ends at 22:59:59Z; in UTC at 23:59:59Z.
  rm -rf day; new_repo day >/dev/null
  STRATA_TIME=$((86400 + 9 * 3600)) strata put d - <<<1 >/dev/null
  STRATA_TIME=$((86400 + 23 * 3600 + 30 * 60)) strata put d - <<<2 >/dev/null
  expect_eq 1 "$(TZ=CET-1 strata get d --at 1970-01-02)"
  expect_eq 2 "$(TZ=UTC strata get d --at 1970-01-02)"
'

test_expect_success 'BRANCH@{DATE} older than the reflog: the oldest entry, and a warning as git gives' '
  rm -rf horizon; new_repo horizon >/dev/null
  strata put d - <<<1 >/dev/null
  strata put d - <<<2 >/dev/null
  first=$(sgit rev-parse main~1)
  strata get "d@main@{2020-01-01}" >out 2>err
  expect_eq 1 "$(cat out)"
  expect_match "^strata: warning: log for .main. only goes back to 20[0-9-]+T" "$(cat err)"
  strata show "main@{2020-01-01}" --json >out 2>err
  expect_eq "$first" "$(jpath "d[\"id\"]" <out)"
  expect_match "only goes back to" "$(cat err)"
  strata diff "main@{2020-01-01}" main >/dev/null 2>err
  expect_match "only goes back to" "$(cat err)"
  # A date the reflog covers, and an index, say nothing.
  strata get "d@main@{1}" >/dev/null 2>err
  expect_eq "" "$(cat err)"
  strata get "d@main@{now}" >/dev/null 2>err
  expect_eq "" "$(cat err)"
'

test_expect_success 'get of a large document prints it as it reads its trees, compact and indented' '
  rm -rf large; new_repo large >/dev/null
  python3 -c "
import json
doc = {\"k%05d\" % i: {\"n\": i, \"tags\": [\"t%d\" % (i % 5)], \"e\": {}} for i in range(3000)}
doc[\"list\"] = [[i, \"caf\u00e9 %d\" % i] for i in range(2000)]
open(\"doc.json\", \"w\").write(json.dumps(doc))
open(\"compact\", \"w\").write(json.dumps(doc, sort_keys=True, separators=(\",\", \":\"), ensure_ascii=False) + \"\\n\")
open(\"indented\", \"w\").write(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + \"\\n\")
open(\"member\", \"w\").write(json.dumps(doc[\"list\"], indent=2, ensure_ascii=False) + \"\\n\")
"
  strata put big doc.json >/dev/null &&
  strata get big >out && cmp compact out &&
  strata get big --pretty >out && cmp indented out &&
  strata get big /list --pretty >out && cmp member out &&
  expect_fail 1 strata get big /nope
'

test_done
