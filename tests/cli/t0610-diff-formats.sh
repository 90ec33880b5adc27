#!/usr/bin/env bash
# diff formats: merge-patch (RFC 7396), summary by kind, --stat, --exit-code,
# --doc and --path narrowing, and ranges A..B and A...B.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
echo "{\"x\":1,\"y\":[1,2],\"o\":{\"p\":1,\"q\":2},\"n\":null}" | strata put a - >/dev/null
echo 1 | strata put b - >/dev/null
sgit tag A main
strata set a /x 2 >/dev/null
strata set a /o/q 3 >/dev/null
strata rm b >/dev/null
echo "{\"k\":\"v\"}" | strata put c - >/dev/null
sgit tag B main
cd "$TRASH"

# apply_merge_patch STATE.json PATCH.json: RFC 7396 applied by python.
cat >"$TRASH/apply.py" <<'EOT'
import json, sys
def merge(target, patch):
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge(target.get(k), v)
    return target
state = json.load(open(sys.argv[1]))
print(json.dumps(merge(state, json.load(open(sys.argv[2]))), sort_keys=True))
EOT
# state REV: the whole state as one sorted JSON object.
state() {
  python3 - "$1" <<-\EOT
	import json, subprocess, sys, os
	strata = os.environ["STRATA"]
	docs = json.loads(subprocess.check_output([strata, "ls", sys.argv[1], "--json"]))
	out = {}
	for d in docs:
	    out[d["id"]] = json.loads(subprocess.check_output([strata, "get", d["id"] + "@" + sys.argv[1], "--compact"]))
	print(json.dumps(out, sort_keys=True))
	EOT
}

test_expect_success 'merge-patch: over the state, exact, and applying it to FROM gives TO' '
  cd r
  expect_eq "{\"a\":{\"o\":{\"q\":3},\"x\":2},\"b\":null,\"c\":{\"k\":\"v\"}}" \
    "$(strata diff A B --format merge-patch | jpath d)"
  strata diff A B --format merge-patch >p.json
  state A >a.json
  expect_eq "$(state B)" "$(python3 "$TRASH/apply.py" a.json p.json)"
  expect_eq "{}" "$(strata diff B B --format merge-patch)"
'

test_expect_success 'merge-patch: a changed array is replaced whole; a null needs an array' '
  cd r
  # (set on an array index inserts, as RFC 6902 add does)
  strata set a /y/0 null >/dev/null
  expect_eq "{\"a\":{\"y\":[null,1,2]}}" "$(strata diff HEAD~1 HEAD --format merge-patch)"
  strata set a /x null >/dev/null
  snapshot_repo
  expect_fail 1 strata diff HEAD~1 HEAD --format merge-patch
  expect_eq "strata: error: a JSON merge patch (RFC 7396) cannot set /a/x to null: null means \"remove\" in a merge patch (use --format patch)" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'merge-patch --doc and --path: over that value' '
  cd r
  expect_eq "{\"o\":{\"q\":3},\"x\":2}" "$(strata diff A B --format merge-patch --doc a | jpath d)"
  expect_eq "{\"q\":3}" "$(strata diff A B --format merge-patch --path a:/o)"
  expect_eq "null" "$(strata diff A B --format merge-patch --doc b)"
  expect_eq "{\"k\":\"v\"}" "$(strata diff A B --format merge-patch --doc c)"
  expect_eq "{\"b\":null,\"c\":{\"k\":\"v\"}}" "$(strata diff A B --format merge-patch --doc b --doc c | jpath d)"
'

test_expect_success 'summary: created, updated, deleted with counts; --json lists them' '
  cd r
  cat >expect <<-\EOT
	M a  (2 changes)
	D b
	A c
	3 documents changed (1 created, 1 updated, 1 deleted), 4 operations
	EOT
  strata diff A B --format summary >actual
  expect_files_eq expect actual
  strata diff A B --format summary --json >s.json
  expect_eq "[\"c\"]" "$(jpath "d[\"created\"]" <s.json)"
  expect_eq "[\"a\"]" "$(jpath "d[\"updated\"]" <s.json)"
  expect_eq "[\"b\"]" "$(jpath "d[\"deleted\"]" <s.json)"
'

test_expect_success '--stat: values changed per document (exact)' '
  cd r
  cat >expect <<-\EOT
	 a | 2
	 b | 1
	 c | 1
	 3 documents, 4 values changed
	EOT
  strata diff A B --stat >actual
  expect_files_eq expect actual
  expect_eq "[{\"changes\":2,\"id\":\"a\"},{\"changes\":1,\"id\":\"b\"},{\"changes\":1,\"id\":\"c\"}]" \
    "$(strata diff A B --stat --json | jpath "d[\"stat\"]")"
'

test_expect_success '--doc and --path narrow every format' '
  cd r
  expect_eq "~ a /x  1 -> 2" "$(strata diff A B --path a:/x)"
  expect_eq "[{\"op\":\"replace\",\"path\":\"/a/o/q\",\"value\":3}]" "$(strata diff A B --format patch --path a:/o)"
  expect_eq "$(printf "D b\nA c\n2 documents changed (1 created, 0 updated, 1 deleted), 2 operations")" \
    "$(strata diff A B --format summary --doc b --doc c)"
  expect_eq "" "$(strata diff A B --doc nosuch)"
  expect_fail 2 strata diff A B --path nopointer
'

test_expect_success '--exit-code: 1 with differences, 0 without' '
  cd r
  rc=0; strata diff A B --exit-code >/dev/null || rc=$?
  expect_eq 1 "$rc"
  rc=0; strata diff A B --exit-code --path a:/y >/dev/null || rc=$?
  expect_eq 0 "$rc"
  rc=0; strata diff B B --exit-code --format summary >/dev/null || rc=$?
  expect_eq 0 "$rc"
  expect_eq "" "$(strata diff B B --exit-code)"
'

test_expect_success 'ranges: A..B is A against B; A...B is the merge base against B' '
  cd r
  expect_eq "$(strata diff A B --format patch)" "$(strata diff A..B --format patch)"
  expect_eq "$(strata diff A HEAD --format patch)" "$(strata diff A.. --format patch)"
  sgit branch side B
  echo 1 | strata put e - --branch side >/dev/null
  expect_eq "[{\"op\":\"add\",\"path\":\"/e\",\"value\":1}]" "$(strata diff main...side --format patch)"
  expect_eq "$(strata diff B main --format patch)" "$(strata diff side...main --format patch)"
  expect_fail 1 strata diff A..B HEAD
  expect_match "is a range already" "$(err)"
'

test_done
