#!/usr/bin/env bash
# .schemas: writes that break a schema are refused (exit 1, every violation
# on stderr, nothing written); validate; --force for a .schemas that stored
# documents already break.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

SCHEMAS='{"schemas": [{"doc": "svc/*", "schema": {"type": "object", "required": ["name"],
  "properties": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}}}}]}'

test_expect_success 'a .schemas is written; a document that satisfies it too' '
  cd r
  echo "$SCHEMAS" | strata put .schemas - >/dev/null
  echo "{\"name\": \"web\", \"port\": 80}" | strata put svc/web - >/dev/null
  expect_eq 2 "$(count_versions)"
'

test_expect_success 'a write that breaks it exits 1 naming each violation; nothing written' '
  cd r
  snapshot_repo
  echo "{\"port\": 70000}" >db.json
  expect_fail 1 strata put svc/db db.json
  expect_eq "strata: error: the new state breaks .schemas (2 violations); nothing was written: svc/db: required: Missing required property '"'"'name'"'"'.; svc/db at /port: maximum: Expected number less than or equal to 65535" "$(err)"
  expect_repo_unchanged
  expect_fail 1 strata set svc/web /port "\"80\""
  expect_match "svc/web at /port: type: " "$(err)"
  expect_fail 1 strata rm svc/web /name
  expect_match "svc/web: required: Missing required property" "$(err)"
  expect_repo_unchanged
  strata set svc/web /port 8080 >/dev/null
  expect_eq 3 "$(count_versions)"
'

test_expect_success 'validate: exit 0 on a sound state, human and --json' '
  cd r
  expect_eq "ok: every document satisfies .schemas" "$(strata validate)"
  expect_eq "[]" "$(strata validate --json)"
'

test_expect_success 'a stricter .schemas that stored documents break needs --force' '
  cd r
  strict=$(echo "$SCHEMAS" | sed "s/65535/1000/")
  echo "$strict" >strict.json
  snapshot_repo
  expect_fail 1 strata put .schemas strict.json
  expect_match "svc/web at /port: maximum: Expected number less than or equal to 1000 \(documents this write does not change break the new .schemas; fix them first, or write .schemas with --force\)" "$(err)"
  expect_repo_unchanged
  strata put .schemas strict.json --force >/dev/null
  expect_eq 4 "$(count_versions)"
'

test_expect_success 'validate lists each violation and exits 1; --json is an array' '
  cd r
  rc=0; strata validate >out.txt 2>err.txt || rc=$?
  expect_eq 1 "$rc"
  expect_eq "svc/web at /port: maximum: Expected number less than or equal to 1000" "$(cat out.txt)"
  expect_eq "strata: error: 1 schema violation" "$(cat err.txt)"
  rc=0; strata validate --json >out.json || rc=$?
  expect_eq 1 "$rc"
  expect_eq "[{\"doc\":\"svc/web\",\"message\":\"Expected number less than or equal to 1000\",\"pointer\":\"/port\",\"rule\":\"maximum\"}]" "$(jpath d <out.json)"
  # an older version satisfied its own .schemas
  expect_eq "[]" "$(strata validate HEAD~1 --json)"
'

test_expect_success 'validate: a bad revision is an error; a bad .schemas is refused on write' '
  cd r
  expect_fail 1 strata validate nosuchrev
  echo "{\"schemas\": [{\"doc\": \"a\", \"schema\": {\"type\": \"strin\"}}]}" >bad.json
  expect_fail 1 strata put .schemas bad.json
  expect_match "settings document .\.schemas.: schemas\[0\]: not a valid JSON Schema" "$(err)"
'

test_done
