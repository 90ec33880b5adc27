#!/usr/bin/env bash
# patch: RFC 6902 over the state or one document, all or nothing.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH/r"
strata set config/app1 /db/host "\"a\"" >/dev/null
strata set d2 /x 1 >/dev/null
cd "$TRASH"

test_expect_success 'a state patch changes several documents in ONE version' '
  cd r
  before=$(count_versions)
  cat >p.json <<-\EOT
	[{"op":"replace","path":"/config~1app1/db/host","value":"b"},
	 {"op":"add","path":"/d2/y","value":2},
	 {"op":"add","path":"/d3","value":{"n":3}}]
	EOT
  out=$(strata patch p.json)
  expect_match "^\[main $(sgit rev-parse --short=12 main)\] " "$out"
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "{\"db\":{\"host\":\"b\"}}" "$(strata get config/app1)"
  expect_eq "{\"x\":1,\"y\":2}" "$(strata get d2)"
  expect_eq "{\"n\":3}" "$(strata get d3)"
  expect_eq "patch 3 documents" "$(sgit log -1 --format=%s)"
'

test_expect_success 'the stored delta is the patch (show --json delta)' '
  cd r
  expect_eq "[{\"op\":\"replace\",\"path\":\"/config~1app1/db/host\",\"value\":\"b\"},{\"op\":\"add\",\"path\":\"/d2/y\",\"value\":2},{\"op\":\"add\",\"path\":\"/d3\",\"value\":{\"n\":3}}]" \
    "$(strata show --json | jpath "d[\"delta\"]")"
'

test_expect_success '--doc: pointers inside one document; default message "patch DOC"' '
  cd r
  echo "[{\"op\":\"add\",\"path\":\"/z\",\"value\":[1]}]" >pd.json
  strata patch pd.json --doc d2 >/dev/null
  expect_eq "{\"x\":1,\"y\":2,\"z\":[1]}" "$(strata get d2)"
  expect_match "^patch d2" "$(sgit log -1 --format=%s)"
  expect_eq "[{\"op\":\"add\",\"path\":\"/d2/z\",\"value\":[1]}]" "$(strata show --json | jpath "d[\"delta\"]")"
'

test_expect_success 'all six operations in one patch, with -m and --label' '
  cd r
  cat >six.json <<-\EOT
	[{"op":"add","path":"/only","value":{"a":1,"b":[1,2]}},
	 {"op":"copy","from":"/only/b","path":"/only/c"},
	 {"op":"move","from":"/only/a","path":"/only/d"},
	 {"op":"test","path":"/only/c","value":[1,2]},
	 {"op":"replace","path":"/only/b/0","value":"r"},
	 {"op":"remove","path":"/only/b/1"}]
	EOT
  strata patch six.json -m "six ops" --label patched >/dev/null
  expect_eq "{\"b\":[\"r\"],\"c\":[1,2],\"d\":1}" "$(strata get only)"
  expect_eq "six ops" "$(sgit log -1 --format=%s)"
  expect_eq "[\"patched\"]" "$(strata show --json | jpath "d[\"labels\"]")"
'

test_expect_success 'a patch can remove and add whole documents' '
  cd r
  echo "[{\"op\":\"remove\",\"path\":\"/only\"},{\"op\":\"add\",\"path\":\"/new~1doc\",\"value\":true}]" | strata patch - >/dev/null
  expect_fail 1 strata get only
  expect_eq true "$(strata get new/doc)"
'

test_expect_success 'patch from standard input' '
  cd r
  echo "[{\"op\":\"replace\",\"path\":\"/x\",\"value\":10}]" | strata patch - --doc d2 >/dev/null
  expect_eq 10 "$(strata get d2 /x)"
'

test_expect_success 'a failing test op: exit 1, error names the operation, nothing written' '
  cd r
  snapshot_repo
  echo "[{\"op\":\"add\",\"path\":\"/d2/new\",\"value\":1},{\"op\":\"test\",\"path\":\"/d2/x\",\"value\":99}]" >t.json
  expect_fail 1 strata patch t.json
  expect_match "operation 1" "$(err)"
  expect_match "/d2/x" "$(err)"
  expect_repo_unchanged
  expect_fail 1 strata get d2 /new
'

test_expect_success 'an op on a missing path: exit 1, nothing written (also with --doc)' '
  cd r
  snapshot_repo
  echo "[{\"op\":\"replace\",\"path\":\"/x\",\"value\":5},{\"op\":\"remove\",\"path\":\"/nope\"}]" >m.json
  expect_fail 1 strata patch m.json --doc d2
  expect_match "nope" "$(err)"
  expect_repo_unchanged
  expect_eq 10 "$(strata get d2 /x)"
  for bad in \
    "[{\"op\":\"replace\",\"path\":\"/nodoc/x\",\"value\":1}]" \
    "[{\"op\":\"add\",\"path\":\"/d2/a/b\",\"value\":1}]" \
    "[{\"op\":\"move\",\"from\":\"/d2/nope\",\"path\":\"/d2/q\"}]" \
    "[{\"op\":\"copy\",\"from\":\"/d2/nope\",\"path\":\"/d2/q\"}]" \
    "[{\"op\":\"add\",\"path\":\"/d2/z/5\",\"value\":1}]" \
    "[{\"op\":\"move\",\"from\":\"/d2\",\"path\":\"/d2/inner\"}]" \
    "[{\"op\":\"test\",\"path\":\"/d2/missing\",\"value\":null}]"; do
    printf "%s" "$bad" | expect_fail 1 strata patch -
  done
  expect_repo_unchanged
'

test_expect_success '--doc naming a missing document fails; nothing written' '
  cd r
  snapshot_repo
  echo "[{\"op\":\"add\",\"path\":\"/x\",\"value\":1}]" | expect_fail 1 strata patch - --doc nodoc
  expect_match "nodoc" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'invalid patch JSON reports file:line:column; nothing written' '
  cd r
  snapshot_repo
  printf "[\n {\"op\":\"add\",\n  \"path\": \"/a\" \"value\":1}]" >bad.json
  expect_fail 1 strata patch bad.json
  expect_match "^strata: error: bad.json:3:16: " "$(err)"
  expect_repo_unchanged
'

test_expect_success 'malformed operations are refused, naming the operation' '
  cd r
  snapshot_repo
  for bad in "{}" "[1]" "[{\"op\":\"bogus\",\"path\":\"/d2/x\"}]" \
    "[{\"path\":\"/d2/x\",\"value\":1}]" "[{\"op\":\"add\",\"value\":1}]" \
    "[{\"op\":\"add\",\"path\":\"/d2/q\"}]" "[{\"op\":\"move\",\"path\":\"/d2/q\"}]" \
    "[{\"op\":\"add\",\"path\":\"d2/q\",\"value\":1}]" "[{\"op\":\"add\",\"path\":5,\"value\":1}]"; do
    printf "%s" "$bad" >mal.json
    expect_fail 1 strata patch mal.json
    expect_match "mal.json" "$(err)"
  done
  printf "[{\"op\":\"add\",\"path\":\"/d2/q\"}]" | expect_fail 1 strata patch -
  expect_match "operation 0" "$(err)"
  expect_match "value" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'a patch creating a document with a bad id is refused' '
  cd r
  snapshot_repo
  echo "[{\"op\":\"add\",\"path\":\"/a~1~1b\",\"value\":1}]" | expect_fail 1 strata patch -
  expect_match "a//b" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'a state patch must leave the state an object of documents' '
  cd r
  snapshot_repo
  echo "[{\"op\":\"replace\",\"path\":\"\",\"value\":5}]" | expect_fail 1 strata patch -
  expect_repo_unchanged
'

test_expect_success 'an empty patch, or one that changes nothing, writes nothing' '
  cd r
  before=$(sgit rev-parse main)
  expect_eq "nothing changed; no version written" "$(echo "[]" | strata patch -)"
  expect_eq "nothing changed; no version written" "$(echo "[{\"op\":\"replace\",\"path\":\"/x\",\"value\":10}]" | strata patch - --doc d2)"
  expect_eq "$before" "$(sgit rev-parse main)"
'

test_expect_success 'a missing patch file is an error' '
  cd r
  snapshot_repo
  expect_fail 1 strata patch no-such.json
  expect_match "no-such.json" "$(err)"
  expect_fail 2 strata patch
  expect_repo_unchanged
'

test_expect_success 'patch: the write line says the operation count once' '
  cd r
  strata set a /x 1 >/dev/null
  echo "[{\"op\":\"replace\",\"path\":\"/a/x\",\"value\":2}]" >p.json
  out=$(strata patch p.json)
  # actual: [main 0123456789ab] patch 1 documents (1 operation) (1 operation)
  expect_eq "[main $(sgit rev-parse --short=12 main)] patch a (1 operation)" "$out"
'

test_expect_success 'patch: the default message counts documents right ("1 document", not "0 documents")' '
  cd r
  strata set b /y 1 >/dev/null
  echo "[{\"op\":\"replace\",\"path\":\"/a/x\",\"value\":3}]" | strata patch - >/dev/null
  expect_no_match "1 documents" "$(sgit log -1 --format=%s)"
  # a patch of the whole state that replaces both documents and adds one
  echo "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"only\":{\"z\":1}}}]" | strata patch - >/dev/null
  # actual: "patch 0 documents (1 operation)" for a version that changed 3 documents
  expect_no_match "0 documents" "$(sgit log -1 --format=%s)"
'

test_done
