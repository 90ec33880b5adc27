#!/usr/bin/env bash
# strata perspective list|show|check, and the .perspectives settings document:
# what is refused when written, and what each subcommand reads.
. "$(dirname "$0")/lib.sh"

# The issue's example (issue 8).
cat >"$TRASH/perspectives.json" <<'EOF'
{"perspectives": {
  "public":   {"docs": ["config/**", "!config/internal/**"],
               "rules": [{"path": "/**", "action": "show"},
                         {"path": "/secrets/**", "action": "hide"},
                         {"path": "/db/password", "action": "mask"}]},
  "detailed": {"extends": "public", "rules": [{"path": "/secrets/owner", "action": "show"}]},
  "editor":   {"extends": "detailed", "docs": ["**"],
               "rules": [{"path": "/secrets/**", "action": "show"},
                         {"path": "/db/password", "action": "show"}]}
}}
EOF
cat >"$TRASH/app1.json" <<'EOF'
{"name": "app1", "db": {"host": "db1", "password": "hunter2", "pool": 10},
 "secrets": {"owner": "ops", "token": "tok-SECRET-123"}, "replicas": [1, 2]}
EOF

new_repo r >/dev/null
strata put config/app1 "$TRASH/app1.json" >/dev/null
echo '{"user": "u42"}' | strata put sessions/u42 - >/dev/null
cd "$TRASH"

test_expect_success 'without .perspectives: list says so, show names the unknown perspective' '
  cd r
  expect_match "^no perspectives are defined" "$(strata perspective list)"
  expect_eq "[]" "$(strata perspective list --json)"
  expect_fail 1 strata perspective show public
  expect_eq "strata: error: unknown perspective '"'"'public'"'"' (none is defined: there is no .perspectives document)" "$(err)"
'

test_expect_success 'a malformed .perspectives is refused with the reason, nothing written' '
  cd r
  snapshot_repo
  echo "{\"perspectives\": {\"a\": {\"extends\": \"zz\"}}}" >bad.json
  expect_fail 1 strata put .perspectives bad.json
  expect_match "perspective .a.: extends .zz., which is not defined" "$(err)"
  echo "{\"perspectives\": {\"a\": {\"extends\": \"b\"}, \"b\": {\"extends\": \"a\"}}}" >bad.json
  expect_fail 1 strata put .perspectives bad.json
  expect_match "extends in a cycle \(a -> b -> a\)" "$(err)"
  echo "{\"perspectives\": {\"a\": {\"rules\": [{\"path\": \"/x\", \"action\": \"reveal\"}]}}}" >bad.json
  expect_fail 1 strata put .perspectives bad.json
  expect_match "rules\[0\].action: unknown action .reveal. \(show, hide, mask\)" "$(err)"
  echo "{\"perspectives\": {\"a\": {\"docs\": [\"a//b\"]}}}" >bad.json
  expect_fail 1 strata put .perspectives bad.json
  expect_match "docs\[0\]: glob .a//b. has an empty segment" "$(err)"
  echo "{\"perspectives\": {\"a\": {\"rules\": [{\"path\": \"x\", \"action\": \"show\"}]}}}" >bad.json
  expect_fail 1 strata put .perspectives bad.json
  expect_match "rules\[0\].path: pattern .x. is not a JSON pointer" "$(err)"
  expect_fail 1 strata put .perspectives - <<<"[]"
  expect_match "settings document .\.perspectives.: must be an object" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'a valid .perspectives is written; a later edit is checked too' '
  cd r
  strata put .perspectives "$TRASH/perspectives.json" -m perspectives >/dev/null
  snapshot_repo
  expect_fail 1 strata set .perspectives /perspectives/public/extends "\"editor\""
  expect_match "perspective .detailed.: extends in a cycle \(detailed -> public -> editor -> detailed\)" "$(err)"
  expect_repo_unchanged
'

test_expect_success 'list: each name with what it extends; --json' '
  cd r
  printf "detailed  extends public\neditor    extends detailed\npublic\n" >expect
  strata perspective list >actual
  expect_files_eq expect actual
  expect_eq "[{\"extends\":\"public\",\"name\":\"detailed\"},{\"extends\":\"detailed\",\"name\":\"editor\"},{\"extends\":null,\"name\":\"public\"}]" \
    "$(strata perspective list --json | jpath d)"
'

test_expect_success 'show: resolved docs and rules, extends followed; --json' '
  cd r
  strata perspective show editor --json >e.json
  expect_eq "editor" "$(jpath "d[\"name\"]" <e.json)"
  expect_eq "[\"detailed\",\"public\"]" "$(jpath "d[\"extends\"]" <e.json)"
  expect_eq "[\"config/**\",\"!config/internal/**\",\"**\"]" "$(jpath "d[\"docs\"]" <e.json)"
  expect_eq "[[\"/**\",\"show\",\"public\"],[\"/secrets/**\",\"hide\",\"public\"],[\"/db/password\",\"mask\",\"public\"],[\"/secrets/owner\",\"show\",\"detailed\"],[\"/secrets/**\",\"show\",\"editor\"],[\"/db/password\",\"show\",\"editor\"]]" \
    "$(jpath "[[r[\"path\"], r[\"action\"], r[\"from\"]] for r in d[\"rules\"]]" <e.json)"
  expect_match "^[0-9a-f]{40}$" "$(jpath "d[\"id\"]" <e.json)"
  strata perspective show detailed >out
  expect_eq "perspective detailed (extends public)" "$(head -n 1 out)"
  expect_match "^docs   config/\*\* !config/internal/\*\*$" "$(cat out)"
  expect_match "^  /secrets/owner  show  \(detailed\)$" "$(cat out)"
  expect_match "^  /db/password    mask  \(public\)$" "$(cat out)"
'

test_expect_success 'show: the same resolved rules give the same id' '
  cd r
  a=$(strata perspective show public --json | jpath "d[\"id\"]")
  b=$(strata perspective show detailed --json | jpath "d[\"id\"]")
  expect_ne "$a" "$b"
  expect_eq "$a" "$(strata perspective show public --json | jpath "d[\"id\"]")"
'

test_expect_success 'check: each value with show, hide or mask, never the values' '
  cd r
  # Stored documents keep their members sorted: that is the document order.
  printf "show  /db/host\nmask  /db/password\nshow  /db/pool\nshow  /name\nshow  /replicas/0\nshow  /replicas/1\nhide  /secrets\n" >expect
  strata perspective check public config/app1 >actual
  expect_files_eq expect actual
  strata perspective check detailed config/app1 --json >c.json
  expect_eq "true" "$(jpath "d[\"visible\"]" <c.json)"
  expect_eq "$(sgit rev-parse main)" "$(jpath "d[\"version\"]" <c.json)"
  expect_eq "[[\"/db/host\",\"show\"],[\"/db/password\",\"mask\"],[\"/db/pool\",\"show\"],[\"/name\",\"show\"],[\"/replicas/0\",\"show\"],[\"/replicas/1\",\"show\"],[\"/secrets/owner\",\"show\"],[\"/secrets/token\",\"hide\"]]" \
    "$(jpath "[[v[\"pointer\"], v[\"action\"]] for v in d[\"values\"]]" <c.json)"
  expect_no_match "hunter2|tok-SECRET|ops" "$(cat actual c.json)"
'

test_expect_success 'check: a document the globs leave out is hidden whole' '
  cd r
  expect_eq "{\"action\":\"hide\",\"pointer\":\"\"}" \
    "$(strata perspective check public sessions/u42 --json | jpath "d[\"values\"][0]")"
  expect_eq "false" "$(strata perspective check public sessions/u42 --json | jpath "d[\"visible\"]")"
  expect_match "^sessions/u42: hidden" "$(strata perspective check public sessions/u42)"
  expect_eq "show  /user" "$(strata perspective check editor sessions/u42)"
'

test_expect_success 'REV: definitions and documents read at that version' '
  cd r
  strata set .perspectives /perspectives/public/rules/1/action "\"mask\"" >/dev/null
  expect_match "^mask  /secrets$" "$(strata perspective check public config/app1)"
  expect_match "^hide  /secrets$" "$(strata perspective check public config/app1 HEAD~1)"
  strata perspective show public HEAD~1 --json >old.json
  expect_eq "hide" "$(jpath "d[\"rules\"][1][\"action\"]" <old.json)"
  expect_fail 1 strata perspective list HEAD~4
  expect_match "^no perspectives are defined" "$(strata perspective list HEAD~2)"
'

test_expect_success 'unknown perspective (1) names it and lists the defined ones; usage (2)' '
  cd r
  snapshot_repo
  expect_fail 1 strata perspective show nope
  expect_eq "strata: error: unknown perspective '"'"'nope'"'"' (defined: detailed, editor, public)" "$(err)"
  expect_fail 1 strata perspective check nope config/app1
  expect_match "unknown perspective .nope. \(defined: detailed, editor, public\)" "$(err)"
  expect_fail 1 strata perspective check public no/such
  expect_match "no/such" "$(err)"
  expect_fail 2 strata perspective frobnicate
  expect_match "unknown subcommand .frobnicate." "$(err)"
  expect_fail 2 strata perspective show
  expect_fail 2 strata perspective check public
  expect_fail 2 strata perspective list HEAD extra
  expect_repo_unchanged
'

test_done
