#!/usr/bin/env bash
# import: a folder of <id>.json files, or a JSON Lines file; one version.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'import a folder: nested folders give ids with /, one version' '
  cd r
  mkdir -p in/config/sub in/.hidden in/empty
  echo "{\"a\":1}" >in/config/app1.json
  echo "[2]" >in/config/sub/x.json
  echo 3 >in/top.json
  echo "not json" >in/readme.txt
  echo "{}" >in/.hidden/h.json
  strata import in >out 2>errout
  expect_eq 1 "$(count_versions)"
  expect_match "^\[main [0-9a-f]{12}\] import 3 documents \(3 operations\)$" "$(cat out)"
  expect_eq "config/app1 config/sub/x top" "$(strata ls --json | jpath "\" \".join(e[\"id\"] for e in d)")"
  expect_eq "{\"a\":1}" "$(strata get config/app1)"
  expect_eq "[2]" "$(strata get config/sub/x)"
  expect_eq 3 "$(strata get top)"
  expect_eq "strata: skipped .hidden: a hidden folder
strata: skipped readme.txt: not named *.json" "$(cat errout)"
  expect_eq "import 3 documents" "$(sgit log -1 --format=%s)"
'

test_expect_success 'symbolic links are skipped and listed, never followed: ids come from listed paths' '
  cd r
  mkdir -p links/in/sub links/outside/dir
  echo "{\"n\":1}" >links/in/a.json
  echo 2 >links/outside/x.json
  echo 3 >links/outside/dir/y.json
  ln -s a.json links/in/alias.json
  ln -s ../outside/x.json links/in/ext.json
  ln -s "$PWD/links/outside/dir" links/in/linked
  ln -s ../a.json links/in/sub/up.json
  before=$(count_versions)
  strata import links/in -m "links" >out 2>errout
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "a" "$(strata show --json | jpath "\" \".join(sorted(set(c[\"doc\"] for c in d[\"changes\"])))")"
  expect_eq "{\"n\":1}" "$(strata get a)"
  expect_fail 1 strata get alias
  expect_fail 1 strata get ext
  expect_fail 1 strata get linked/y
  expect_eq "strata: skipped alias.json: a symbolic link
strata: skipped ext.json: a symbolic link
strata: skipped linked: a symbolic link
strata: skipped sub/up.json: a symbolic link" "$(cat errout)"
'

test_expect_success 'a FIFO named *.json is skipped, never opened: the import does not hang' '
  cd r
  mkdir -p fifo/in/sub
  echo 5 >fifo/in/b.json
  mkfifo fifo/in/x.json fifo/in/sub/y.json
  ln -s x.json fifo/in/to-fifo.json
  rc=0
  timeout 20 "$STRATA" import fifo/in >out 2>errout || rc=$?
  expect_eq 0 "$rc" "exit code (124: timed out, blocked on the FIFO)"
  expect_eq 5 "$(strata get b)"
  expect_eq "strata: skipped sub/y.json: not a regular file
strata: skipped to-fifo.json: a symbolic link
strata: skipped x.json: not a regular file" "$(cat errout)"
'

test_expect_success 'import --json lists what it skipped' '
  cd r
  mkdir -p js/.hid
  echo 6 >js/c.json
  echo 1 >js/.hid/h.json
  echo x >js/notes.txt
  ln -s c.json js/alias.json
  strata import js --json >out 2>errout
  expect_eq "" "$(cat errout)"
  expect_eq "[{\"path\":\".hid\",\"reason\":\"a hidden folder\"},{\"path\":\"alias.json\",\"reason\":\"a symbolic link\"},{\"path\":\"notes.txt\",\"reason\":\"not named *.json\"}]" "$(jpath "d[\"skipped\"]" <out)"
  expect_eq "false" "$(jpath "str(d[\"unchanged\"]).lower()" <out)"
  expect_eq "$(sgit rev-parse main)" "$(jpath "d[\"version\"][\"id\"]" <out)"
  strata import js --json >out
  expect_eq "true" "$(jpath "str(d[\"unchanged\"]).lower()" <out)"
  expect_eq 3 "$(jpath "len(d[\"skipped\"])" <out)"
'

test_expect_success 'a folder with nothing to import names what it skipped' '
  cd r
  snapshot_repo
  mkdir -p nothing
  ln -s ../js/c.json nothing/c.json
  echo x >nothing/n.txt
  expect_fail 1 strata import nothing
  expect_eq "strata: error: no documents found in nothing; skipped c.json: a symbolic link and 1 more" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'import a JSON Lines file: one version; other documents are kept' '
  cd r
  printf "{\"id\":\"j/1\",\"doc\":{\"k\":1}}\n{\"id\":\"j/2\",\"doc\":[1,2]}\n\n{\"id\":\"top\",\"doc\":33}\n" >a.jsonl
  before=$(count_versions)
  strata import a.jsonl -m "bulk load" --label import >/dev/null
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "{\"k\":1}" "$(strata get j/1)"
  expect_eq "[1,2]" "$(strata get j/2)"
  expect_eq 33 "$(strata get top)"
  expect_eq "{\"a\":1}" "$(strata get config/app1)"
  expect_eq "bulk load" "$(sgit log -1 --format=%s)"
  expect_eq "[\"import\"]" "$(strata show --json | jpath "d[\"labels\"]")"
'

test_expect_success 'import from standard input, CRLF line ends accepted' '
  cd r
  printf "{\"id\":\"crlf/x\",\"doc\":1}\r\n{\"id\":\"crlf/y\",\"doc\":2}" | strata import - >/dev/null
  expect_eq 1 "$(strata get crlf/x)"
  expect_eq 2 "$(strata get crlf/y)"
'

test_expect_success 'importing what is already there writes nothing' '
  cd r
  before=$(sgit rev-parse main)
  expect_eq "nothing changed; no version written" "$(strata import a.jsonl)"
  expect_eq "$before" "$(sgit rev-parse main)"
'

test_expect_success 'a bad JSONL line is reported as file:LINE:column; nothing written' '
  cd r
  snapshot_repo
  printf "{\"id\":\"n/3\",\"doc\":1}\n{\"id\":\"n/4\",\"doc\":}\n" >b.jsonl
  expect_fail 1 strata import b.jsonl
  expect_match "^strata: error: b.jsonl:2:19: " "$(err)"
  printf "{\"id\":\"n/3\",\"doc\":1}\n[1]\n" >c.jsonl
  expect_fail 1 strata import c.jsonl
  expect_match "^strata: error: c.jsonl:2" "$(err)"
  printf "{\"id\":5,\"doc\":1}\n" >d.jsonl
  expect_fail 1 strata import d.jsonl
  expect_match "^strata: error: d.jsonl:1" "$(err)"
  printf "{\"id\":\"n/5\"}\n" >e.jsonl
  expect_fail 1 strata import e.jsonl
  expect_match "^strata: error: e.jsonl:1" "$(err)"
  expect_repo_unchanged
  expect_fail 1 strata get n/3
'

test_expect_success 'duplicate ids in a JSONL file are refused, naming both lines' '
  cd r
  snapshot_repo
  printf "{\"id\":\"dup\",\"doc\":1}\n{\"id\":\"other\",\"doc\":1}\n{\"id\":\"dup\",\"doc\":2}\n" >dup.jsonl
  expect_fail 1 strata import dup.jsonl
  expect_match "dup.jsonl:3" "$(err)"
  expect_match "dup" "$(err)"
  expect_match "line 1" "$(err)"
  expect_repo_unchanged
  expect_fail 1 strata import - <dup.jsonl
  expect_match "-:3: document .dup. already given on line 1" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'an invalid document id in JSONL is refused' '
  cd r
  snapshot_repo
  printf "{\"id\":\"a//b\",\"doc\":1}\n" >id.jsonl
  expect_fail 1 strata import id.jsonl
  expect_match "a//b" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'an invalid JSON file in a folder: file:line:column, nothing written' '
  cd r
  snapshot_repo
  mkdir -p bad/x
  echo 1 >bad/good.json
  printf "{\n  \"a\": tru\n}\n" >bad/x/broken.json
  expect_fail 1 strata import bad
  expect_match "^strata: error: bad/x/broken.json:2:" "$(err)"
  expect_repo_unchanged
  expect_fail 1 strata get good
'

test_expect_success 'an empty folder or file, or a missing path, is an error' '
  cd r
  snapshot_repo
  mkdir -p emptydir
  expect_fail 1 strata import emptydir
  : >empty.jsonl
  expect_fail 1 strata import empty.jsonl
  expect_fail 1 strata import no-such-path
  expect_match "no-such-path" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'import --json reports one version with all operations' '
  cd r
  for i in 1 2 3 4 5; do echo "{\"id\":\"many/$i\",\"doc\":{\"i\":$i}}"; done >many.jsonl
  strata import many.jsonl --json >out
  expect_eq "5 false" "$(jpath "str(d[\"operations\"]) + \" \" + str(d[\"unchanged\"]).lower()" <out)"
  expect_eq "$(sgit rev-parse main)" "$(jpath "d[\"version\"][\"id\"]" <out)"
'

test_expect_success 'after imports, verify and git fsck --strict are clean' '
  cd r
  strata verify >/dev/null
  sgit fsck --strict --no-progress 2>&1 | { ! grep -E "error|warning|missing|broken"; }
'

test_expect_success 'import: a JSONL number out of range names the line' '
  cd r
  printf "{\"id\":\"x\",\"doc\":1}\n{\"id\":\"y\",\"doc\":1e400}\n" >big.jsonl
  expect_fail 1 strata import big.jsonl
  # actual: big.jsonl: number out of range at pointer '"'"'/doc'"'"': ...
  expect_match "^strata: error: big.jsonl:2" "$(err)"
'

test_done
