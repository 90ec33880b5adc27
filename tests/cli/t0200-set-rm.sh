#!/usr/bin/env bash
# set, rm; unchanged writes; messages, labels and authors.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success 'set creates the document and missing parents, like mkdir -p' '
  cd r
  out=$(strata set config/app1 /db/host "\"db.local\"")
  expect_eq "[main $(sgit rev-parse --short=12 main)] set config/app1 /db/host (1 operation)" "$out"
  expect_eq "{\"db\":{\"host\":\"db.local\"}}" "$(strata get config/app1)"
  strata set config/app1 /a/b/c/d 1 >/dev/null
  expect_eq "{\"a\":{\"b\":{\"c\":{\"d\":1}}},\"db\":{\"host\":\"db.local\"}}" "$(strata get config/app1)"
  expect_eq 2 "$(count_versions)"
'

test_expect_success 'the default message is "set DOC POINTER"' '
  cd r
  expect_eq "set config/app1 /a/b/c/d" "$(sgit log -1 --format=%s)"
  expect_eq "set config/app1 /db/host" "$(sgit log -1 --skip=1 --format=%s)"
'

test_expect_success 'set takes any JSON value; -s/--string takes it as text' '
  cd r
  strata set d /obj "{\"k\":[1,{\"z\":null}]}" >/dev/null
  strata set d /str -s hello >/dev/null
  strata set d /num --string 42 >/dev/null
  strata set d /t true >/dev/null
  expect_eq "{\"k\":[1,{\"z\":null}]}" "$(strata get d /obj)"
  expect_eq "\"hello\"" "$(strata get d /str)"
  expect_eq "\"42\"" "$(strata get d /num)"
  expect_eq true "$(strata get d /t)"
'

test_expect_success 'set with a value that is not JSON suggests --string; nothing written' '
  cd r
  snapshot_repo
  expect_fail 1 strata set d /x hello
  expect_match "VALUE:1:1" "$(err)"
  expect_match "--string" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'set in arrays: an index inserts, - appends, past the end is an error' '
  cd r
  strata set arr "" "[1,2]" >/dev/null
  strata set arr /0 0 >/dev/null
  strata set arr /- 9 >/dev/null
  expect_eq "[0,1,2,9]" "$(strata get arr)"
  snapshot_repo
  expect_fail 1 strata set arr /7 1
  expect_match "7" "$(err)"
  expect_fail 1 strata set arr /x 1
  expect_repo_unchanged
'

test_expect_success 'set through a scalar is an error naming the pointer; nothing written' '
  cd r
  snapshot_repo
  expect_fail 1 strata set d /t/deeper 1
  expect_match "/t" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'set to the value already there: "nothing changed", no version' '
  cd r
  before=$(sgit rev-parse main)
  out=$(strata set config/app1 /db/host "\"db.local\"")
  expect_eq "nothing changed; no version written" "$out"
  expect_eq "$before" "$(sgit rev-parse main)"
  out=$(strata set d /obj "{ \"k\" : [ 1 , { \"z\" : null } ] }" --json)
  expect_eq "{\"unchanged\":true,\"version\":null}" "$out"
  expect_eq "$before" "$(sgit rev-parse main)"
'

test_expect_success 'set --json reports the version written' '
  cd r
  strata set d /j 1 --json >out
  id=$(sgit rev-parse main)
  expect_eq "$id" "$(jpath "d[\"version\"][\"id\"]" <out)"
  expect_eq "[false,1,false]" "$(jpath "[d[\"unchanged\"], d[\"operations\"], d[\"replayed\"]]" <out)"
  python3 - out <<-\EOT
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert set(d) >= {"version", "unchanged", "operations", "objects_written", "bytes_written", "replayed"}, d
	assert d["objects_written"] >= 1 and d["bytes_written"] > 0, d
	assert d["version"]["message"] == "set d /j", d
	EOT
'

test_expect_success 'rm POINTER removes one value' '
  cd r
  out=$(strata rm d /obj)
  expect_eq "[main $(sgit rev-parse --short=12 main)] rm d /obj (1 operation)" "$out"
  expect_fail 1 strata get d /obj
  expect_eq "\"hello\"" "$(strata get d /str)"
  strata rm arr /0 >/dev/null
  expect_eq "[1,2,9]" "$(strata get arr)"
'

test_expect_success 'rm DOC removes the document; its history stays readable' '
  cd r
  before=$(strata get d)
  out=$(strata rm d)
  expect_eq "[main $(sgit rev-parse --short=12 main)] rm d (1 operation)" "$out"
  expect_fail 1 strata get d
  expect_eq "$before" "$(strata get d@HEAD~1)"
  strata ls --json | jpath "[e[\"id\"] for e in d]" >ids
  expect_no_match "\"d\"" "$(cat ids)"
'

test_expect_success 'rm of a missing document or pointer fails; nothing written' '
  cd r
  snapshot_repo
  expect_fail 1 strata rm d
  expect_match "d" "$(err)"
  expect_fail 1 strata rm nosuch
  expect_match "nosuch" "$(err)"
  expect_fail 1 strata rm config/app1 /nosuch
  expect_match "nosuch" "$(err)"
  expect_fail 1 strata rm arr /-
  expect_fail 1 strata rm arr /5
  expect_repo_unchanged
'

test_expect_success 'a document can be created again after rm' '
  cd r
  strata set d /again 1 >/dev/null
  expect_eq "{\"again\":1}" "$(strata get d)"
  expect_eq 1 "$(strata ls --json | jpath "[e[\"versions\"] for e in d if e[\"id\"] == \"d\"][0]")"
'

test_expect_success '-m and repeated --label: in strata log, show --json and git log' '
  cd r
  strata set d /l 1 -m "raise the limit" --label ui-change --label minor-edit --label a.b_c-d/e:f >/dev/null
  expect_eq "raise the limit" "$(sgit log -1 --format=%s)"
  expect_match "raise the limit +\[ui-change, minor-edit, a.b_c-d/e:f\]$" "$(strata log -n 1)"
  expect_eq "[\"ui-change\",\"minor-edit\",\"a.b_c-d/e:f\"]" "$(strata show --json | jpath "d[\"labels\"]")"
  expect_eq "raise the limit" "$(strata show --json | jpath "d[\"message\"]")"
  expect_eq "ui-change
minor-edit
a.b_c-d/e:f" "$(sgit log -1 --format="%(trailers:key=Label,valueonly)" | sed "/^$/d")"
  sgit log -1 --format=%B >body
  grep -qx "Label: ui-change" body
  grep -qx "Label: minor-edit" body
'

test_expect_success 'a multi-line message keeps its body; labels still parse' '
  cd r
  strata set d /l 2 -m "subject line

a longer body" --label x >/dev/null
  expect_eq "subject line" "$(sgit log -1 --format=%s)"
  expect_match "a longer body" "$(sgit log -1 --format=%b)"
  expect_eq "[\"x\"]" "$(strata show --json | jpath "d[\"labels\"]")"
'

test_expect_success 'a message ending in trailers: git reads them and the labels as one block' '
  cd r
  strata set d /l 4 -m "fix the limit

Signed-off-by: A U Thor <a@example.com>" --label x --label y >/dev/null
  expect_eq "A U Thor <a@example.com>" "$(sgit log -1 --format="%(trailers:key=Signed-off-by,valueonly)" | sed "/^$/d")"
  expect_eq "x
y" "$(sgit log -1 --format="%(trailers:key=Label,valueonly)" | sed "/^$/d")"
  expect_eq "fix the limit||Signed-off-by: A U Thor <a@example.com>" "$(strata show --json | jpath "d[\"message\"].replace(chr(10), \"|\")")"
  expect_eq "[\"x\",\"y\"]" "$(strata show --json | jpath "d[\"labels\"]")"
'

test_expect_success 'a message comes back exactly as given: blanks and newlines kept' '
  cd r
  strata set d /l 5 -m "  indented, and ends in a newline
" --label z >/dev/null
  expect_eq "[  indented, and ends in a newline|]" "$(strata show --json | jpath "\"[\" + d[\"message\"].replace(chr(10), \"|\") + \"]\"")"
  expect_eq "[\"z\"]" "$(strata show --json | jpath "d[\"labels\"]")"
'

test_expect_success '--label without -m keeps the default message' '
  cd r
  strata set d /l 3 --label only-label >/dev/null
  expect_eq "set d /l" "$(sgit log -1 --format=%s)"
  expect_eq "[\"only-label\"]" "$(strata log -n 1 --json | jpath "d[0][\"labels\"]")"
'

test_expect_success '--author wins over STRATA_AUTHOR; both reach git and --json' '
  cd r
  strata set d /au 1 --author "Ann Other <ann@example.org>" >/dev/null
  expect_eq "Ann Other <ann@example.org>" "$(sgit log -1 --format="%an <%ae>")"
  expect_eq "{\"email\":\"ann@example.org\",\"name\":\"Ann Other\"}" "$(strata show --json | jpath "d[\"author\"]")"
  STRATA_AUTHOR="Bob Builder <bob@example.net>" strata set d /au 2 >/dev/null
  expect_eq "Bob Builder <bob@example.net>" "$(sgit log -1 --format="%an <%ae>")"
  STRATA_AUTHOR="Bob Builder <bob@example.net>" strata set d /au 3 --author "Cy <cy@x.y>" >/dev/null
  expect_eq "Cy <cy@x.y>" "$(sgit log -1 --format="%an <%ae>")"
'

test_expect_success 'without STRATA_AUTHOR: git config user.name/email, else a default' '
  cd r
  unset STRATA_AUTHOR
  git config --global user.name "Config User"
  git config --global user.email config@example.com
  strata set d /au 4 >/dev/null
  expect_eq "Config User <config@example.com>" "$(sgit log -1 --format="%an <%ae>")"
  rm -f "$HOME/.gitconfig"
  strata set d /au 5 >/dev/null
  expect_ne "" "$(sgit log -1 --format=%an)"
  expect_ne "Config User" "$(sgit log -1 --format=%an)"
'

test_expect_success 'STRATA_TIME fixes the version time' '
  cd r
  STRATA_TIME=1234567890 strata set d /time 1 >/dev/null
  expect_eq "1234567890 1234567890" "$(sgit log -1 --format="%at %ct")"
  expect_eq "2009-02-13T23:31:30Z 1234567890" "$(strata show --json | jpath "d[\"time\"] + \" \" + str(d[\"timestamp\"])")"
'

test_expect_success 'STRATA_TIME out of range is refused, not wrapped' '
  cd r
  snapshot_repo
  for t in 99999999999999999999 4294967296 -1 12x; do
    STRATA_TIME=$t expect_fail 1 strata set d /time 3
    expect_match "STRATA_TIME|out of range" "$(err)"
  done
  expect_repo_unchanged
  STRATA_TIME=4294967295 strata set d /time 3 >/dev/null
  expect_eq 4294967295 "$(sgit log -1 --format=%at)"
'

test_expect_success 'without STRATA_TIME the time is now' '
  cd r
  unset STRATA_TIME
  t0=$(date +%s)
  strata set d /time 2 >/dev/null
  t1=$(date +%s)
  t=$(sgit log -1 --format=%at)
  test "$t" -ge "$t0"
  test "$t" -le "$t1"
'

test_expect_success 'negative numbers are values, not flags' '
  cd r
  strata set neg /n -5 >/dev/null
  strata set neg /m -1.5e3 >/dev/null
  expect_eq "{\"m\":-1500,\"n\":-5}" "$(strata get neg)"
  expect_fail 2 strata set neg /n 1 -x
'

test_expect_success 'a message cannot forge a label: -m with a Label: line is refused' '
  cd r
  echo 1 | strata put d >/dev/null
  snapshot_repo
  expect_fail 1 strata set d /a 1 -m "fix

Label: forged"
  expect_match "would be read as a label; give labels with --label" "$(err)"
  expect_fail 1 strata set d /a 1 -m "fix

label : forged"
  expect_repo_unchanged
'

test_expect_success 'a key cannot forge a label through the default message' '
  cd r
  strata set forge "$(printf "/a\n\nLabel: evil")" 1 >/dev/null
  expect_eq "[]" "$(strata show --json | jpath "d[\"labels\"]")"
  expect_eq "set forge /a\\n\\nLabel: evil" "$(strata show --json | jpath "d[\"message\"]")"
'

test_done
