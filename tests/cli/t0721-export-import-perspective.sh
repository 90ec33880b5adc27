#!/usr/bin/env bash
# export and import through a perspective: what it hides never leaves, and
# an import of its own export never deletes or overwrites what it hid.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH/r"
cat >defs.json <<'JSON'
{"perspectives": {
  "public":   {"docs": ["config/**", "!config/internal/**"],
               "rules": [{"path": "/**", "action": "show"},
                         {"path": "/secrets/**", "action": "hide"},
                         {"path": "/db/password", "action": "mask"}]},
  "editor":   {"extends": "public", "docs": ["**"],
               "rules": [{"path": "/secrets/**", "action": "show"},
                         {"path": "/db/password", "action": "show"}]}}}
JSON
strata put .perspectives defs.json >/dev/null
strata put config/app1 <<<'{"name": "app1", "db": {"host": "db1", "password": "pw-hush1"}, "secrets": {"key": "hush2"}}' >/dev/null
strata put config/internal/x <<<'{"token": "hush3"}' >/dev/null
strata put config/app2 <<<'{"name": "app2"}' >/dev/null
cd "$TRASH"

test_expect_success 'export through public writes only the view' '
  cd r
  strata export out --perspective public
  expect_eq "out/config/app1.json
out/config/app2.json" "$(find out -type f | sort)"
  ! grep -rq hush out
  expect_eq "***" "$(jpath "d[\"db\"][\"password\"]" <out/config/app1.json)"
  expect_eq "false" "$(jpath "\"secrets\" in d" <out/config/app1.json)"
'

test_expect_success 'import of that export, one value edited, writes just that change' '
  cd r
  before=$(count_versions)
  sed -i "s/\"db1\"/\"db2\"/" out/config/app1.json
  strata import out --perspective public -m "move the db" >/dev/null
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "[{\"op\":\"replace\",\"path\":\"/config~1app1/db/host\",\"value\":\"db2\"}]" \
    "$(strata show --json HEAD | jpath "json.dumps(d[\"delta\"], separators=(\",\", \":\"))")"
  strata get config/app1 --perspective editor >app1
  expect_eq "pw-hush1" "$(jpath "d[\"db\"][\"password\"]" <app1)"
  expect_eq "hush2" "$(jpath "d[\"secrets\"][\"key\"]" <app1)"
'

test_expect_success 'import --prune through public never deletes what public hides' '
  cd r
  rm out/config/app1.json
  strata import out --prune --perspective public -m prune >/dev/null
  strata ls --json --perspective editor >ls
  expect_eq "config/app1 config/app2 config/internal/x" \
    "$(jpath "\" \".join(e[\"id\"] for e in d if not e[\"id\"].startswith(\".\"))" <ls)"
  expect_eq "{\"secrets\":{\"key\":\"hush2\"}}" "$(strata get config/app1 --compact --perspective editor)"
  expect_fail 1 strata get config/app1 --perspective public
'

test_expect_success 'a masked value written through public is kept, never shown' '
  cd r
  strata set config/app2 /db/password "\"pw-hush4\"" --perspective public >/dev/null
  expect_eq "\"***\"" "$(strata get config/app2 /db/password --perspective public)"
  expect_eq "\"pw-hush4\"" "$(strata get config/app2 /db/password --perspective editor)"
'

test_done
