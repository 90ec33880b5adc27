#!/usr/bin/env bash
# export: a state as a folder of <id>.json files; import DIR [--prune] reads it back.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"
put() { printf "%s" "$2" | strata put "$1" - >/dev/null; }

test_expect_success 'export writes pretty files in canonical order; export, edit, import is one change' '
  cd r
  put config/app1 "{\"db\":{\"pool\":10,\"host\":\"a\"},\"b\":1.5}"
  put top "[1,{\"z\":1,\"a\":2}]"
  put "odd/a+b=c,(d)!" "\"s\""
  put "odd/caf$(printf "\xc3\xa9")%25" 1e+100
  strata export out >msg
  expect_match "^exported 4 documents of HEAD \([0-9a-f]{12}\) to out: 4 written, 0 unchanged$" "$(cat msg)"
  printf "{\n  \"b\": 1.5,\n  \"db\": {\n    \"host\": \"a\",\n    \"pool\": 10\n  }\n}\n" >want
  expect_files_eq want out/config/app1.json
  printf "[\n  1,\n  {\n    \"a\": 2,\n    \"z\": 1\n  }\n]\n" >want
  expect_files_eq want out/top.json
  expect_eq "\"s\"" "$(cat "out/odd/a+b=c,(d)!.json")"
  expect_eq "1e+100" "$(cat "out/odd/caf$(printf "\xc3\xa9")%25.json")"
  cp -r out before
  sed -i "s/\"pool\": 10/\"pool\": 20/" out/config/app1.json
  strata import out >msg
  expect_match "^\[main [0-9a-f]{12}\] import 4 documents \(1 changed\) \(1 operations?\)$" "$(cat msg)"
  expect_eq "replace /config~1app1/db/pool" "$(strata show HEAD --json | jpath "\" \".join(c[\"op\"]+\" \"+c[\"path\"] for c in d[\"changes\"])")"
  expect_eq 5 "$(count_versions)"
  strata import out >msg
  expect_eq "nothing changed; no version written" "$(cat msg)"
  strata export out >msg
  expect_match "0 written, 4 unchanged$" "$(cat msg)"
  strata export HEAD~1 again >/dev/null
  diff -r before again
'

test_expect_success 'export of an older revision, and --json' '
  cd r
  strata export --json HEAD~3 old >json
  expect_eq "2 2 0" "$(jpath "\"%d %d %d\" % (d[\"documents\"], d[\"written\"], d[\"unchanged\"])" <json)"
  expect_eq "$(sgit rev-parse HEAD~3)" "$(jpath "d[\"version\"]" <json)"
  expect_eq "old" "$(jpath "d[\"dir\"]" <json)"
  expect_eq "config/app1.json top.json" "$(cd old && find . -type f | sed "s|^./||" | sort | tr "\n" " " | sed "s/ $//")"
'

test_expect_success 'import --prune removes what DIR lacks, in the same version' '
  cd r
  strata export p >/dev/null
  rm p/top.json "p/odd/a+b=c,(d)!.json"
  echo "{\"new\":true}" >p/added.json
  strata import --prune p >msg
  expect_match "import 3 documents \(1 changed\), remove 2 \(3 operations\)$" "$(cat msg)"
  expect_eq "added config/app1 odd/caf$(printf "\xc3\xa9")%25" "$(strata ls --json | jpath "\" \".join(e[\"id\"] for e in d)")"
  strata import p >msg
  expect_eq "nothing changed; no version written" "$(cat msg)"
'

test_expect_success 'an empty state exports as an empty folder' '
  new_repo e >/dev/null
  strata export --json out >json
  expect_eq "null 0" "$(jpath "\"%s %d\" % (d[\"version\"], d[\"documents\"])" <json | sed "s/None/null/")"
  expect_eq "" "$(ls -A out)"
'

test_expect_success 'a symbolic link at a document path is refused, nothing written through it' '
  cd r
  mkdir -p l1/config victim && echo keep >victim/f.json
  ln -s ../../victim/f.json l1/config/app1.json
  expect_fail 1 strata export l1
  expect_match "document .config/app1.: l1/config/app1.json is a symbolic link" "$(err)"
  expect_eq keep "$(cat victim/f.json)"
  expect_eq "config" "$(ls l1)"
'

test_expect_success 'a symbolic link at a folder path is refused, nothing written through it' '
  cd r
  mkdir -p l2 victim2
  ln -s ../victim2 l2/config
  expect_fail 1 strata export l2
  expect_match "document .config/app1.: l2/config is a symbolic link, where a folder must go" "$(err)"
  expect_eq "" "$(ls -A victim2)"
  expect_eq "config" "$(ls -A l2)"
  ln -s real l3
  expect_fail 1 strata export l3
  expect_match "l3 is a symbolic link" "$(err)"
'

test_expect_success 'ids that differ only in letter case are refused before anything is written' '
  new_repo c >/dev/null
  put A/x 1
  put a/x 2
  expect_fail 1 strata export out
  expect_eq "strata: error: cannot export documents '"'"'A/x'"'"' and '"'"'a/x'"'"': their paths '"'"'A'"'"' and '"'"'a'"'"' differ only in letter case, and would be one on a case-insensitive file system; nothing was written" "$(err)"
  expect_eq "" "$(ls -A out 2>/dev/null)"
'

test_expect_success 'a document file that is another document'"'"'s folder is refused' '
  new_repo f >/dev/null
  put a 1
  put a.json/b 2
  expect_fail 1 strata export out
  expect_match "documents .a. and .a\.json/b.: .a\.json. would be the file of .a. and a folder of .a\.json/b." "$(err)"
'

test_expect_success 'files in DIR that name no document are left alone' '
  cd r
  mkdir -p k && echo mine >k/notes.txt && echo "{}" >k/other.json
  strata export k >/dev/null
  expect_eq mine "$(cat k/notes.txt)"
  expect_eq "{}" "$(cat k/other.json)"
'

test_expect_success 'usage: DIR is required' '
  cd r
  rc=0; strata export 2>err || rc=$?
  expect_eq 2 "$rc"
'

test_done
