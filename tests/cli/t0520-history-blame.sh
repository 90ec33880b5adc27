#!/usr/bin/env bash
# history DOC [POINTER], blame DOC [POINTER], show REV:DOC.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
STRATA_TIME=1767268800 strata put cfg - -m "create cfg" --label l1 --author "Ann <ann@x.org>" \
  >/dev/null <<<'{"db":{"host":"a","port":1},"k/x":1,"t~y":[1,2],"e":{}}'
STRATA_TIME=1767355200 strata set cfg /db/host '"b"' -m "move db" --author "Bob <bob@x.org>" >/dev/null
STRATA_TIME=1767441600 strata set other /x 1 -m "other doc" >/dev/null
STRATA_TIME=1767528000 strata set cfg /k~1x 2 -m "bump k/x" --label l2 >/dev/null
cd "$TRASH"

test_expect_success 'history DOC: the versions that changed it, numbered from its creation (exact)' '
  cd r
  set -- $(for r in main main~2 main~3; do sgit rev-parse --short=12 $r; done)
  cat >expect <<-EOT
	v3  $1  2026-01-04T12:00:00Z  Test User  bump k/x  [l2]
	v2  $2  2026-01-02T12:00:00Z  Bob        move db
	v1  $3  2026-01-01T12:00:00Z  Ann        create cfg  [l1]
	EOT
  strata history cfg >actual
  expect_files_eq expect actual
'

test_expect_success 'history DOC POINTER: only versions that changed that value; -p shows it' '
  cd r
  set -- $(for r in main~2 main~3; do sgit rev-parse --short=12 $r; done)
  cat >expect <<-EOT
	v2  $1  2026-01-02T12:00:00Z  Bob  move db
	~ cfg /db/host  "a" -> "b"

	v1  $2  2026-01-01T12:00:00Z  Ann  create cfg  [l1]
	+ cfg /db/host  "a"
	EOT
  strata history cfg /db/host -p >actual
  expect_files_eq expect actual
  expect_eq "v1" "$(strata history cfg /db/port | cut -c1-2)"
  expect_eq "v3 v1" "$(strata history cfg /k~1x --json | jpath "\" \".join(\"v%d\" % v[\"doc_version\"] for v in d)")"
  expect_eq "" "$(strata history cfg /nope)"
  expect_eq "v2 v1" "$(strata history cfg --rev HEAD~1 --json | jpath "\" \".join(\"v%d\" % v[\"doc_version\"] for v in d)")"
'

test_expect_success 'history --json: the log schema plus doc_version, and changes with -p' '
  cd r
  strata history cfg /db/host -p --json >h.json
  python3 - h.json "$(sgit rev-parse main~2)" <<-\EOT
	import json, sys
	h = json.load(open(sys.argv[1]))
	assert [v["doc_version"] for v in h] == [2, 1], h
	assert sorted(h[0]) == ["added_labels", "author", "changes", "doc_version", "id", "labels", "message",
	                        "parents", "state", "time", "timestamp"], sorted(h[0])
	assert h[0]["id"] == sys.argv[2]
	assert h[0]["changes"] == [{"op": "replace", "path": "/cfg/db/host", "value": "b",
	                            "doc": "cfg", "pointer": "/db/host", "old": "a"}], h[0]["changes"]
	EOT
'

test_expect_success 'history of a document that was never there fails' '
  cd r
  expect_fail 1 strata history nope
  expect_match "nope" "$(err)"
  expect_fail 1 strata history cfg --rev nope
'

test_expect_success 'blame: every leaf with the version that set it, aligned (exact)' '
  cd r
  set -- $(for r in main main~2 main~3; do sgit rev-parse --short=12 $r; done)
  cat >expect <<-EOT
	$2  2026-01-02T12:00:00Z  Bob        /db/host  "b"
	$3  2026-01-01T12:00:00Z  Ann        /db/port  1
	$3  2026-01-01T12:00:00Z  Ann        /e        {}
	$1  2026-01-04T12:00:00Z  Test User  /k~1x     2
	$3  2026-01-01T12:00:00Z  Ann        /t~0y     [1,2]
	EOT
  strata blame cfg >actual
  expect_files_eq expect actual
  expect_eq "$2" "$(strata blame cfg /db/host | cut -c1-12)"
  expect_eq "$3" "$(strata blame cfg /db/host --rev HEAD~3 | cut -c1-12)"
'

test_expect_success 'blame --json: pointer, value and the whole version' '
  cd r
  strata blame cfg /db --json >b.json
  python3 - b.json "$(sgit rev-parse main~2)" "$(sgit rev-parse main~3)" <<-\EOT
	import json, sys
	b = json.load(open(sys.argv[1]))
	got = {l["pointer"]: (l["value"], l["version"]["id"]) for l in b}
	assert got == {"/db/host": ("b", sys.argv[2]), "/db/port": (1, sys.argv[3])}, got
	for l in b:
	    assert sorted(l) == ["pointer", "value", "version"], l
	    assert l["version"]["author"]["name"] in ("Ann", "Bob"), l
	EOT
  expect_fail 1 strata blame cfg /nope
  expect_fail 1 strata blame nope
'

test_expect_success 'show REV:DOC: only that document'"'"'s change' '
  cd r
  strata set other /y 1 -m both >/dev/null
  printf "%s" "[{\"op\":\"replace\",\"path\":\"/cfg/e\",\"value\":1},{\"op\":\"replace\",\"path\":\"/other/x\",\"value\":5}]" >p.json
  strata patch p.json -m "two docs" >/dev/null
  expect_eq "~ cfg /e  {} -> 1" "$(strata show HEAD:cfg | tail -n 1)"
  expect_eq "~ other /x  1 -> 5" "$(strata show :other | tail -n 1)"
  expect_eq 2 "$(strata show HEAD | grep -c "^~ ")"
  expect_eq "(no change to cfg in this version)" "$(strata show HEAD~1:cfg | tail -n 1)"
  strata show HEAD:cfg --json >s.json
  expect_eq "cfg" "$(jpath "d[\"doc\"]" <s.json)"
  expect_eq "[{\"doc\":\"cfg\",\"old\":{},\"op\":\"replace\",\"path\":\"/cfg/e\",\"pointer\":\"/e\",\"value\":1}]" \
    "$(jpath "d[\"changes\"]" <s.json)"
  expect_fail 1 strata show HEAD:nope
  expect_match "nope" "$(err)"
'

test_done
