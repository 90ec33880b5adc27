#!/usr/bin/env bash
# Working folders through a perspective, pull into a folder, merge --abort
# in a folder, and the stat cache's bookkeeping.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cat >defs.json <<'JSON'
{"perspectives": {
  "public": {"docs": ["config/**"],
             "rules": [{"path": "/**", "action": "show"},
                       {"path": "/secrets/**", "action": "hide"},
                       {"path": "/db/password", "action": "mask"}]}}}
JSON
strata put .perspectives defs.json >/dev/null
strata put config/app1 <<<'{"name": "app1", "db": {"host": "db1", "password": "pw-hush1"}, "secrets": {"key": "hush2"}}' >/dev/null
strata put internal/x <<<'{"token": "hush3"}' >/dev/null
cd "$TRASH"

st() { strata status --json --compact; }

test_expect_success 'a folder through a perspective holds only the view' '
  cd r
  strata worktree add ../pub --perspective public >/dev/null
  cd ../pub
  expect_eq "./config/app1.json" "$(find . -name "*.json" | sort)"
  ! grep -rq hush .
  expect_eq "***" "$(jpath "d[\"db\"][\"password\"]" <config/app1.json)"
  expect_eq "public" "$(jpath "d[\"perspective\"]" <.strata)"
  expect_eq "\"***\"" "$(strata get config/app1 /db/password)"
  expect_fail 1 strata get internal/x
  expect_eq "[] [] []" "$(st | jpath "\" \".join(json.dumps(d[k]) for k in (\"created\",\"modified\",\"deleted\"))")"
'

test_expect_success 'commit through the perspective keeps hidden and masked values' '
  cd pub
  sed -i "s/\"db1\"/\"db2\"/" config/app1.json
  strata commit -m "move the db" >/dev/null
  cd ../r
  expect_eq "{\"db\":{\"host\":\"db2\",\"password\":\"pw-hush1\"},\"name\":\"app1\",\"secrets\":{\"key\":\"hush2\"}}" \
    "$(strata get config/app1 --compact)"
  expect_eq "{\"token\":\"hush3\"}" "$(strata get internal/x --compact)"
  expect_eq "[{\"op\":\"replace\",\"path\":\"/config~1app1/db/host\",\"value\":\"db2\"}]" \
    "$(strata show --json HEAD | jpath "d[\"delta\"]")"
'

test_expect_success 'a deleted file through the perspective removes the document, not what is hidden elsewhere' '
  cd pub
  echo "{\"name\": \"app2\"}" >config/app2.json
  strata commit -m add >/dev/null
  rm config/app2.json
  strata commit -m remove >/dev/null
  cd ../r
  expect_fail 1 strata get config/app2
  expect_eq "{\"token\":\"hush3\"}" "$(strata get internal/x --compact)"
'

test_expect_success 'merge --abort in a folder keeps its changes, uncommitted' '
  cd r
  strata worktree add ../w >/dev/null
  strata set internal/x /token "\"main\"" -m main >/dev/null
  cd ../w
  sed -i "s/hush3/folder/" internal/x.json
  rc=0
  strata commit -m folder >/dev/null 2>&1 || rc=$?
  expect_eq 1 "$rc"
  strata merge --abort >out
  expect_match "aborted the merge" "$(cat out)"
  expect_eq "folder" "$(jpath "d[\"token\"]" <internal/x.json)"
  expect_eq "[\"internal/x\"]" "$(st | jpath "d[\"modified\"]")"
  expect_eq "\"main\"" "$(cd ../r && strata get internal/x /token)"
  strata restore internal/x >/dev/null
'

test_expect_success 'pull in a folder from a local-path remote moves the folder s branch and files' '
  strata clone r site2 >/dev/null
  cd site2
  strata set config/app1 /name "\"from-site2\"" -m remote >/dev/null
  cd ../r
  strata remote add site2 ../site2 >/dev/null
  cd ../w
  before=$(jpath "d[\"base\"]" <.strata)
  strata pull site2 main >out
  expect_match "fast-forward main" "$(cat out)"
  expect_eq "from-site2" "$(jpath "d[\"name\"]" <config/app1.json)"
  expect_eq "$(git --git-dir ../r/.strata rev-parse main)" "$(jpath "d[\"base\"]" <.strata)"
  expect_ne "$before" "$(jpath "d[\"base\"]" <.strata)"
  expect_eq "[]" "$(st | jpath "d[\"modified\"]")"
'

test_expect_success 'pull into a folder with a change the pull would overwrite is refused before merging' '
  cd site2
  strata set config/app1 /name "\"again\"" -m again >/dev/null
  cd ../w
  sed -i "s/from-site2/mine/" config/app1.json
  base=$(jpath "d[\"base\"]" <.strata)
  expect_fail 1 strata pull site2 main
  expect_match "would overwrite uncommitted changes in config/app1.json" "$(err)"
  # nothing was merged: the branch did not move (git pull refuses the same way)
  expect_eq "$base" "$(git --git-dir ../r/.strata rev-parse main)"
  expect_eq "$base" "$(jpath "d[\"base\"]" <.strata)"
  expect_eq "mine" "$(jpath "d[\"name\"]" <config/app1.json)"
  expect_eq "[\"config/app1\"]" "$(st | jpath "d[\"modified\"]")"
'

test_expect_success 'status reads only the files whose stat changed' '
  cd w
  strata restore config/app1 >/dev/null
  st >/dev/null
  idx=$TRASH/r/.strata/worktrees/w/index
  expect_eq "strata-worktree-index 1" "$(head -n 1 "$idx")"
  cp "$idx" idx.before
  st >/dev/null
  expect_files_eq idx.before "$idx"
  rm idx.before
'

test_expect_success 'a damaged stat cache is rebuilt, and status still tells the truth' '
  cd w
  echo garbage >"$TRASH/r/.strata/worktrees/w/index"
  sed -i "s/\"db2\"/\"db3\"/" config/app1.json
  expect_eq "[\"config/app1\"]" "$(st | jpath "d[\"modified\"]")"
  expect_eq "strata-worktree-index 1" "$(head -n 1 "$TRASH/r/.strata/worktrees/w/index")"
'

test_done
