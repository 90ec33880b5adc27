#!/usr/bin/env bash
# log, show and ls: human output (exact), --json schemas, revisions.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
strata set a /x 1 >/dev/null
STRATA_TIME=1700000060 strata set b /y "\"s\"" --author "Ann <ann@x.org>" >/dev/null
STRATA_TIME=1700003600 strata set a /x 2 -m "bump x" --label l1 --label l2 >/dev/null
STRATA_TIME=1700007200 strata rm b >/dev/null
cd "$TRASH"

# short ids of main~3 .. main
ids() { cd "$TRASH/r"; for i in 3 2 1 0; do sgit rev-parse --short=12 main~$i; done; }

test_expect_success 'log: newest first, one aligned line per version (exact)' '
  cd r
  set -- $(ids)
  cat >expect <<-EOT
	$4  2023-11-15T00:13:20Z  Test User  rm b
	$3  2023-11-14T23:13:20Z  Test User  bump x  [l1, l2]
	$2  2023-11-14T22:14:20Z  Ann        set b /y
	$1  2023-11-14T22:13:20Z  Test User  set a /x
	EOT
  strata log >actual
  expect_files_eq expect actual
'

test_expect_success 'log -n N, --max-count, log REV' '
  cd r
  set -- $(ids)
  expect_eq "$4  2023-11-15T00:13:20Z  Test User  rm b
$3  2023-11-14T23:13:20Z  Test User  bump x  [l1, l2]" "$(strata log -n 2)"
  expect_eq 1 "$(strata log --max-count=1 | wc -l)"
  expect_eq "$2  2023-11-14T22:14:20Z  Ann        set b /y
$1  2023-11-14T22:13:20Z  Test User  set a /x" "$(strata log HEAD~2)"
  expect_eq "$2" "$(strata log main^^ -n 1 | cut -c1-12)"
  expect_eq "" "$(strata log -n 0)"
'

test_expect_success 'log of an unknown revision; log -n with a non-number' '
  cd r
  expect_fail 1 strata log nope
  expect_match "nope" "$(err)"
  expect_fail 2 strata log -n abc
'

test_expect_success 'log --json: the version schema, newest first' '
  cd r
  strata log --json >log.json
  python3 - log.json "$(sgit rev-list main | tr "\n" " ")" <<-\EOT
	import json, sys
	log = json.load(open(sys.argv[1]))
	ids = sys.argv[2].split()
	assert [v["id"] for v in log] == ids, (log, ids)
	for i, v in enumerate(log):
	    assert sorted(v) == ["added_labels", "author", "id", "labels", "message", "parents", "state", "time", "timestamp"], sorted(v)
	    assert sorted(v["author"]) == ["email", "name"], v["author"]
	    assert v["parents"] == ids[i + 1:i + 2], v
	    assert len(v["state"]) == 40 and int(v["state"], 16) >= 0, v
	    assert isinstance(v["timestamp"], int), v
	assert log[0]["message"] == "rm b" and log[0]["timestamp"] == 1700007200
	assert log[0]["time"] == "2023-11-15T00:13:20Z", log[0]["time"]
	assert log[1]["labels"] == ["l1", "l2"] and log[1]["message"] == "bump x"
	assert log[2]["author"] == {"name": "Ann", "email": "ann@x.org"}
	assert log[3]["parents"] == [] and log[3]["labels"] == []
	EOT
'

test_expect_success 'log --json output is compact and key-sorted when piped' '
  cd r
  out=$(strata log --json -n 1)
  expect_eq 1 "$(printf "%s\n" "$out" | wc -l)"
  expect_match "^\[\{\"added_labels\":\[\],\"author\":\{\"email\":\"test@example.com\",\"name\":\"Test User\"\},\"id\":\"[0-9a-f]{40}\",\"labels\":\[\],\"message\":\"rm b\",\"parents\":\[\"[0-9a-f]{40}\"\],\"state\":\"[0-9a-f]{40}\",\"time\":\"2023-11-15T00:13:20Z\",\"timestamp\":1700007200\}\]$" "$out"
'

test_expect_success 'git log shows every version with its message and labels' '
  cd r
  expect_eq "$(strata log | wc -l)" "$(sgit log --format=%H | wc -l)"
  expect_eq "rm b|bump x|set b /y|set a /x" "$(sgit log --format=%s | paste -sd "|")"
  expect_eq "l1,l2" "$(sgit log -1 --skip=1 --format="%(trailers:key=Label,valueonly,separator=%x2C)")"
  expect_eq "Ann <ann@x.org> 1700000060" "$(sgit log -1 --skip=2 --format="%an <%ae> %at")"
'

test_expect_success 'show: metadata, state id, message and delta (exact)' '
  cd r
  id=$(sgit rev-parse main~1)
  state=$(strata log --json | jpath "d[1][\"state\"]")
  cat >expect <<-EOT
	version $id
	author  Test User <test@example.com>
	date    2023-11-14T23:13:20Z
	labels  l1, l2  (written with the version)
	state   $state

	    bump x

	~ a /x  1 -> 2
	EOT
  strata show HEAD~1 >actual
  expect_files_eq expect actual
'

test_expect_success 'show defaults to HEAD; a removal shows the old value' '
  cd r
  strata show >actual
  expect_match "^version $(sgit rev-parse main)$" "$(head -n 1 actual)"
  expect_eq "- b  was {\"y\":\"s\"}" "$(tail -n 1 actual)"
'

test_expect_success 'show of the first version: no parents, its delta adds everything' '
  cd r
  strata show --json main~3 >first.json
  expect_eq "[]" "$(jpath "d[\"parents\"]" <first.json)"
  expect_eq "[{\"op\":\"add\",\"path\":\"/a\",\"value\":{\"x\":1}}]" "$(jpath "d[\"delta\"]" <first.json)"
  expect_eq "+ a  {\"x\":1}" "$(strata show main~3 | tail -n 1)"
'

test_expect_success 'show --json: version fields plus delta (RFC 6902) and changes' '
  cd r
  strata show --json HEAD~1 >s.json
  python3 - s.json "$(sgit rev-parse main~1)" "$(sgit rev-parse main~2)" <<-\EOT
	import json, sys
	s = json.load(open(sys.argv[1]))
	assert sorted(s) == ["added_labels", "author", "changes", "delta", "id", "labels", "message",
	                     "parents", "state", "tags", "time", "timestamp"], sorted(s)
	assert s["id"] == sys.argv[2] and s["parents"] == [sys.argv[3]], s
	assert s["delta"] == [{"op": "replace", "path": "/a/x", "value": 2}], s["delta"]
	assert s["changes"] == [{"op": "replace", "path": "/a/x", "value": 2, "doc": "a",
	                         "pointer": "/x", "old": 1}], s["changes"]
	assert s["labels"] == ["l1", "l2"]
	EOT
'

test_expect_success 'show --json state equals log --json state; git agrees it is a tree' '
  cd r
  s=$(strata show --json | jpath "d[\"state\"]")
  expect_eq "$s" "$(strata log --json -n 1 | jpath "d[0][\"state\"]")"
  expect_eq tree "$(sgit cat-file -t "$s")"
'

test_expect_success 'show of an unknown revision fails' '
  cd r
  expect_fail 1 strata show nope
  expect_match "nope" "$(err)"
'

test_expect_success 'ls: documents, version counts, last update (exact)' '
  cd r
  cat >expect <<-\EOT
	DOCUMENT  VERSIONS  UPDATED               BY
	a                2  2023-11-14T23:13:20Z  Test User <test@example.com>
	EOT
  strata ls >actual
  expect_files_eq expect actual
  cat >expect <<-\EOT
	DOCUMENT  VERSIONS  UPDATED               BY
	a                2  2023-11-14T23:13:20Z  Test User <test@example.com>
	b                1  2023-11-14T22:14:20Z  Ann <ann@x.org>
	EOT
  strata ls HEAD~1 >actual
  expect_files_eq expect actual
  strata ls --rev HEAD~1 >actual
  expect_files_eq expect actual
'

test_expect_success 'ls --json: id, versions, created{at,by}, updated{at,by}' '
  cd r
  out=$(strata ls --json HEAD~1)
  expect_eq "[{\"created\":{\"at\":\"2023-11-14T22:13:20Z\",\"by\":\"Test User <test@example.com>\"},\"id\":\"a\",\"updated\":{\"at\":\"2023-11-14T23:13:20Z\",\"by\":\"Test User <test@example.com>\"},\"versions\":2},{\"created\":{\"at\":\"2023-11-14T22:14:20Z\",\"by\":\"Ann <ann@x.org>\"},\"id\":\"b\",\"updated\":{\"at\":\"2023-11-14T22:14:20Z\",\"by\":\"Ann <ann@x.org>\"},\"versions\":1}]" "$out"
'

test_expect_success 'ls: versions counts only versions that changed the document' '
  cd r
  strata set c /v 1 >/dev/null
  strata set a /x 3 >/dev/null
  strata set c /v 1 >/dev/null
  STRATA_TIME=1700100000 strata set c /v 2 --author "Zed <z@z.z>" >/dev/null
  out=$(strata ls --json | jpath "[[e[\"id\"], e[\"versions\"], e[\"updated\"][\"by\"]] for e in d]")
  expect_eq "[[\"a\",3,\"Test User <test@example.com>\"],[\"c\",2,\"Zed <z@z.z>\"]]" "$out"
  expect_eq "2023-11-14T22:13:20Z" "$(strata ls --json | jpath "d[1][\"created\"][\"at\"]")"
'

test_expect_success 'ls sorts ids bytewise; an unknown revision fails' '
  cd r
  for id in b/z B a/b a0 a.b; do strata set "$id" /v 1 >/dev/null; done
  expect_eq "B a a.b a/b a0 b/z c" "$(strata ls --json | jpath "\" \".join(e[\"id\"] for e in d)")"
  expect_fail 1 strata ls nope
'

test_expect_success 'a branch with no versions: ls lists nothing, log says why' '
  rm -rf fresh; new_repo fresh >/dev/null
  expect_eq "[]" "$(strata ls --json)"
  expect_fail 1 strata log
  expect_match "has no versions yet" "$(err)"
'

test_expect_success 'times print in one form everywhere: UTC with Z, or the zone TZ names' '
  new_repo tz >/dev/null
  STRATA_TIME=1700003600 strata set a /x 1 >/dev/null
  STRATA_TIME=1700007200 strata set a /x 2 >/dev/null
  t=2023-11-15T00:13:20
  expect_match "^[0-9a-f]{12}  ${t}Z  " "$(strata log -n 1)"
  expect_match "^date    ${t}Z$" "$(strata show | grep "^date")"
  expect_eq "${t}Z" "$(strata log -n 1 --json | jpath "d[0][\"time\"]")"
  expect_eq "${t}Z" "$(strata show --json | jpath "d[\"time\"]")"
  # A POSIX zone one hour east of UTC, so no zone database is needed.
  export TZ=XXX-1
  l=2023-11-15T01:13:20+01:00
  expect_match "^[0-9a-f]{12}  ${l/+/\\+}  " "$(strata log -n 1)"
  expect_match "^date    ${l/+/\\+}$" "$(strata show | grep "^date")"
  expect_eq "$l" "$(strata log -n 1 --json | jpath "d[0][\"time\"]")"
  expect_eq "$l" "$(strata show --json | jpath "d[\"time\"]")"
  expect_match "  2023-11-15T00:13:20\+01:00  " "$(strata ls HEAD~1 | grep "^a ")"
  expect_eq "2023-11-15T00:13:20+01:00" "$(strata ls --json | jpath "d[0][\"created\"][\"at\"]")"
'

test_expect_success '--json, --pretty and --compact behave the same on every command that prints JSON' '
  cd r
  for cmd in "get a" "ls" "log" "show" "diff HEAD~1" "verify"; do
    one=$(strata $cmd --json --compact | wc -l)
    expect_eq 1 "$one" "$cmd --json --compact"
    many=$(strata $cmd --json --pretty | wc -l)
    test "$many" -gt 1 || { echo "$cmd --json --pretty printed $many line"; false; }
  done
  out=$(strata set a /pretty 1 --json --pretty)
  test "$(printf "%s\n" "$out" | wc -l)" -gt 1
'

test_done
