#!/usr/bin/env bash
# log filters (--doc, --path, --author, --since, --until, --label, --grep),
# ranges, -n/--reverse, -p, --stat, --oneline, --json; --date on writes.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
# v1..v6, each at a distinct time (a day apart from 2026-01-01).
strata set cfg /db '{"host":"a","port":1}' -m v1 --label l1 --date 2026-01-01T12:00:00Z >/dev/null
strata set cfg /db/host '"b"' -m v2 --label l1 --label l2 --author "Bob <bob@corp.org>" \
  --date 2026-01-02T12:00:00Z >/dev/null
strata set other /x 1 -m v3 --label l2 --date 2026-01-03T12:00:00Z >/dev/null
strata set cfg /a~1b 2 -m v4 --date 2026-01-04T12:00:00Z >/dev/null
strata rm cfg -m v5 --author "Bob <bob@corp.org>" --date 2026-01-05T12:00:00Z >/dev/null
strata set cfg /db/port 3 -m v6 --date 2026-01-06T12:00:00Z >/dev/null
cd "$TRASH"

# messages of `strata log ARGS...`, on one line
msgs() { strata log --json "$@" | jpath '" ".join(v["message"] for v in d)'; }

test_expect_success '--date sets the version time; it wins over STRATA_TIME' '
  cd r
  expect_eq "2026-01-01T12:00:00Z" "$(strata log --json --reverse -n 6 | jpath "d[0][\"time\"]")"
  expect_eq 1767268800 "$(sgit log -1 --skip=5 --format=%at)"
  STRATA_TIME=5 strata set t /v 1 --date @1000 >/dev/null
  expect_eq 1000 "$(sgit log -1 --format=%at)"
  STRATA_TIME=5 strata set t /v 2 >/dev/null
  expect_eq 5 "$(sgit log -1 --format=%at)"
  strata set t /v 3 --date "2025-12-31" >/dev/null
  expect_eq "2025-12-31T00:00:00Z" "$(strata log -n 1 --json | jpath "d[0][\"time\"]")"
  strata rm t --date "2025-12-30T10:00:00+02:00" >/dev/null
  expect_eq "2025-12-30T08:00:00Z" "$(strata log -n 1 --json | jpath "d[0][\"time\"]")"
  expect_fail 1 strata set t /v 1 --date "next tuesday"
  expect_match "--date: invalid time .next tuesday." "$(err)"
  sgit update-ref refs/heads/main HEAD~4
'

test_expect_success '--doc: creation, change and removal; other documents left out' '
  cd r
  expect_eq "v6 v5 v4 v2 v1" "$(msgs --doc cfg)"
  expect_eq "v3" "$(msgs --doc other)"
  expect_eq "v3" "$(msgs --doc other --doc nope)"
  expect_eq "" "$(msgs --doc nope)"
'

test_expect_success '--path: the value or anything under it; siblings do not count' '
  cd r
  expect_eq "v5 v2 v1" "$(msgs --path cfg:/db/host)"
  expect_eq "v6 v5 v2 v1" "$(msgs --path cfg:/db)"
  expect_eq "v6 v5 v1" "$(msgs --path cfg:/db/port)"
  expect_eq "v5 v4" "$(msgs --path cfg:/a~1b)"
  expect_eq "v6 v5 v4 v2 v1" "$(msgs --path cfg:)"
  expect_eq "v5 v3 v2 v1" "$(msgs --path cfg:/db/host --path other:/x)"
  expect_fail 2 strata log --path cfg
  expect_match "DOC:POINTER" "$(err)"
  expect_fail 2 strata log --path "cfg:/a~2"
'

test_expect_success '--author (name, email, regex), --grep, --since/--until, --label' '
  cd r
  expect_eq "v5 v2" "$(msgs --author Bob)"
  expect_eq "v5 v2" "$(msgs --author corp.org)"
  expect_eq "v6 v4 v3 v1" "$(msgs --author "^Test")"
  expect_eq "v4 v3 v2" "$(msgs --grep "v[2-4]")"
  expect_eq "v6 v5 v4" "$(msgs --since 2026-01-04)"
  expect_eq "v2 v1" "$(msgs --until 2026-01-02)"
  expect_eq "v3 v2" "$(msgs --since 2026-01-02 --until 2026-01-03)"
  expect_eq "v2 v1" "$(msgs --since @1767268800 --until 2026-01-02T12:00:00Z)"
  expect_eq "v3 v2" "$(msgs --label l2)"
  expect_eq "v3 v2 v1" "$(msgs --label l1 --label l2)"
  expect_eq "v2" "$(msgs --label l1 --label l2 --all-labels)"
  expect_eq "v5 v2" "$(msgs --doc cfg --author Bob)"
  expect_fail 1 strata log --grep "("
  expect_match "--grep" "$(err)"
  expect_fail 2 strata log --since "when pigs fly"
'

test_expect_success '-n keeps the newest matches, then --reverse orders them oldest first' '
  cd r
  expect_eq "v6 v5" "$(msgs -n 2)"
  expect_eq "v5 v6" "$(msgs -n 2 --reverse)"
  expect_eq "v1 v2 v3 v4 v5 v6" "$(msgs --reverse)"
  expect_eq "v4 v5 v6" "$(msgs --doc cfg -n 3 --reverse)"
'

test_expect_success 'ranges A..B and A...B' '
  cd r
  sgit branch side HEAD~2
  strata set other /x 2 -m s1 --branch side --date 2026-01-07T12:00:00Z >/dev/null
  expect_eq "s1" "$(msgs main..side)"
  expect_eq "v6 v5" "$(msgs side..main)"
  expect_eq "s1 v6 v5" "$(msgs main...side)"
  expect_eq "s1" "$(msgs main...side --doc other)"
  expect_eq "s1 v3" "$(msgs side --doc other)"
  expect_fail 1 strata log main..nope
  expect_match "nope" "$(err)"
'

test_expect_success 'human output: -p, --stat, --oneline (exact)' '
  cd r
  set -- $(for r in main main~1 main~4; do sgit rev-parse --short=12 $r; done)
  cat >expect <<-EOT
	$1  2026-01-06T12:00:00Z  Test User  v6
	+ cfg  {"db":{"port":3}}

	$2  2026-01-05T12:00:00Z  Bob        v5
	- cfg  was {"a/b":2,"db":{"host":"b","port":1}}
	EOT
  strata log -p -n 2 --doc cfg >actual
  expect_files_eq expect actual
  cat >expect <<-EOT
	$3  2026-01-02T12:00:00Z  Bob  v2  [l1, l2]
	M cfg  (1 change)
	1 document changed (0 created, 1 updated, 0 deleted), 1 operation
	EOT
  strata log --stat --path cfg:/db/host --until 2026-01-02T23:00:00Z -n 1 >actual
  expect_files_eq expect actual
  cat >expect <<-EOT
	$3 v2  [l1, l2]
	EOT
  strata log --oneline --label l1 -n 1 >actual
  expect_files_eq expect actual
  expect_eq "[{\"op\":\"replace\",\"path\":\"/cfg/db/host\",\"value\":\"b\"}]" \
    "$(strata log -p --format patch --grep "^v2$" | tail -n 1)"
  expect_fail 2 strata log -p --format nope
'

test_expect_success '--json: versions as before, plus changes (-p) and stat (--stat)' '
  cd r
  strata log --json -p --stat --grep "^v2$" >v2.json
  python3 - v2.json <<-\EOT
	import json, sys
	v = json.load(open(sys.argv[1]))
	assert len(v) == 1, v
	v = v[0]
	assert sorted(v) == ["added_labels", "author", "changes", "id", "labels", "message", "parents", "stat",
	                     "state", "time", "timestamp"], sorted(v)
	assert v["changes"] == [{"op": "replace", "path": "/cfg/db/host", "value": "b",
	                         "doc": "cfg", "pointer": "/db/host", "old": "a"}], v["changes"]
	assert v["stat"] == [{"id": "cfg", "status": "modified", "operations": 1}], v["stat"]
	EOT
  expect_eq "[\"added_labels\",\"author\",\"id\",\"labels\",\"message\",\"parents\",\"state\",\"time\",\"timestamp\"]" \
    "$(strata log --json -n 1 | jpath "sorted(d[0])")"
'

test_done
