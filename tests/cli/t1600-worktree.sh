#!/usr/bin/env bash
# Working folders: worktree add/list/remove, status, diff, commit, restore.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
strata put config/app1 <<<'{"name": "app1", "db": {"host": "db1", "pool": 5}}' >/dev/null
strata put config/app2 <<<'{"name": "app2"}' >/dev/null
strata put users/u1 <<<'{"name": "Ann"}' >/dev/null
cd "$TRASH"

st() { strata status --json --compact; }

test_expect_success 'worktree add writes the files and the record' '
  cd r
  strata worktree add ../w1 >out
  expect_match "working folder .*/w1 on branch main at [0-9a-f]{12}" "$(cat out)"
  cd ../w1
  expect_eq "./config/app1.json
./config/app2.json
./users/u1.json" "$(find . -name "*.json" | sort)"
  expect_eq "main" "$(jpath "d[\"branch\"]" <.strata)"
  expect_eq "$(git --git-dir ../r/.strata rev-parse main)" "$(jpath "d[\"base\"]" <.strata)"
  expect_eq "$TRASH/r/.strata" "$(jpath "d[\"repository\"]" <.strata)"
  expect_eq "{\"base\":\"$(git --git-dir ../r/.strata rev-parse main)\",\"branch\":\"main\",\"created\":[],\"deleted\":[],\"invalid\":[],\"modified\":[]}" "$(st)"
'

test_expect_success 'worktree add refuses a non-empty folder and a folder already in use' '
  mkdir busy
  echo x >busy/file
  cd r
  expect_fail 1 strata worktree add ../busy
  expect_match "not empty" "$(err)"
  expect_fail 1 strata worktree add ../w1
  expect_match "already a working folder" "$(err)"
'

test_expect_success 'commands find the repository from a sub-folder of the folder' '
  cd w1/config
  expect_eq "{\"name\":\"app2\"}" "$(strata get config/app2 --compact)"
  expect_eq "[]" "$(strata status --json --compact | jpath "d[\"modified\"]")"
'

test_expect_success 'status: created, modified, deleted; reformatting is no change' '
  cd w1
  python3 -c "import json; d=json.load(open(\"config/app2.json\")); open(\"config/app2.json\",\"w\").write(json.dumps(d, separators=(\",\",\":\")))"
  python3 -c "open(\"config/app1.json\",\"w\").write(\"{\\\"db\\\": {\\\"pool\\\": 5, \\\"host\\\": \\\"db1\\\"},\\n \\\"name\\\": \\\"app1\\\"}\")"
  expect_eq "[]" "$(st | jpath "d[\"modified\"]")"
  echo "{\"name\": \"Bob\"}" >users/u2.json
  rm users/u1.json
  sed -i "s/app2/app-two/" config/app2.json
  expect_eq "{\"created\":[\"users/u2\"],\"deleted\":[\"users/u1\"],\"invalid\":[],\"modified\":[\"config/app2\"]}" \
    "$(st | jpath "{k: d[k] for k in (\"created\",\"deleted\",\"invalid\",\"modified\")}")"
  strata status >out
  expect_match "created: +users/u2" "$(cat out)"
  expect_match "deleted: +users/u1" "$(cat out)"
  expect_match "modified: +config/app2" "$(cat out)"
'

test_expect_success 'status: invalid JSON with line and column, invalid ids; not read: hidden, links' '
  cd w1
  printf "{\n  \"a\": 1,,\n}\n" >bad.json
  mkdir -p sub/.hid
  echo "{}" >sub/.hid/x.json
  echo "{}" >"sub/a b.json"
  ln -s /etc/passwd link.json
  st >s
  expect_eq "bad.json sub/a b.json" "$(jpath "\" \".join(f[\"file\"] for f in d[\"invalid\"])" <s)"
  expect_match "^bad.json:2:10: " "$(jpath "d[\"invalid\"][0][\"error\"]" <s)"
  expect_match "whitespace" "$(jpath "d[\"invalid\"][1][\"error\"]" <s)"
'

test_expect_success 'commit refuses invalid files, naming them, and writes nothing' '
  cd r
  snapshot_repo
  cd ../w1
  expect_fail 1 strata commit -m x
  expect_match "bad.json:2:10" "$(err)"
  cd ../r
  expect_repo_unchanged
  cd ../w1
  rm -rf bad.json sub link.json
'

test_expect_success 'a file edited to the same size with its mtime put back is still modified' '
  cd w1
  st >/dev/null
  touch -d "2020-01-01 00:00:00" users/u2.json
  st >/dev/null
  sed -i "s/Bob/Rob/" users/u2.json
  touch -d "2020-01-01 00:00:00" users/u2.json
  strata diff --json --compact | jpath "[c[\"value\"] for c in d[\"changes\"] if c[\"doc\"] == \"users/u2\"][0]" >v
  expect_eq "{\"name\":\"Rob\"}" "$(cat v)"
'

test_expect_success 'diff with no revision: the folder against its base, every format' '
  cd w1
  expect_eq "~ config/app2 /name  \"app2\" -> \"app-two\"" "$(strata diff --doc config/app2 | sed "s/\x1b\[[0-9;]*m//g")"
  expect_eq "[{\"op\":\"replace\",\"path\":\"/config~1app2/name\",\"value\":\"app-two\"},{\"op\":\"add\",\"path\":\"/users~1u2\",\"value\":{\"name\":\"Rob\"}}]" \
    "$(strata diff --format patch --compact --doc config/app2 --doc users/u2)"
  expect_eq "{\"config/app2\":{\"name\":\"app-two\"},\"users/u1\":null,\"users/u2\":{\"name\":\"Rob\"}}" \
    "$(strata diff --format merge-patch --compact)"
  expect_eq "\"app-two\"" "$(strata diff --format merge-patch --compact --path config/app2:/name)"
  strata diff --format summary >s
  expect_match "^M +config/app2" "$(cat s)"
  expect_match "^D +users/u1" "$(cat s)"
  expect_match "^A +users/u2" "$(cat s)"
  expect_eq "3" "$(strata diff --stat --json | jpath "len(d[\"stat\"])")"
  rc=0
  strata diff --exit-code --doc users/u1 --format summary --json >s || rc=$?
  expect_eq 1 "$rc"
  expect_eq "[\"users/u1\"] []" "$(jpath "json.dumps(d[\"deleted\"]) + \" \" + json.dumps(d[\"created\"])" <s)"
'

test_expect_success 'restore puts documents back; it never deletes a created file' '
  cd w1
  cp config/app2.json app2.saved
  strata restore config/app2 users/u1 >out
  expect_eq "restored config/app2
restored users/u1" "$(cat out)"
  expect_eq "app2" "$(jpath "d[\"name\"]" <config/app2.json)"
  expect_eq "{\"created\":[\"users/u2\"],\"deleted\":[],\"modified\":[]}" \
    "$(st | jpath "{k: d[k] for k in (\"created\",\"deleted\",\"modified\")}")"
  expect_fail 1 strata restore users/u2
  expect_match "never deletes a file" "$(err)"
  mv app2.saved config/app2.json
  rm users/u1.json
'

test_expect_success 'commit writes exactly the folder s changes as one version, with -m and --label' '
  cd w1
  before=$(cd ../r && count_versions)
  strata commit -m "folder edits" --label cfg >out
  expect_match "^\[main [0-9a-f]{12}\] folder edits" "$(cat out)"
  cd ../r
  expect_eq $((before + 1)) "$(count_versions)"
  expect_eq "\"app-two\"" "$(strata get config/app2 /name)"
  expect_fail 1 strata get users/u1
  expect_eq "{\"name\":\"Rob\"}" "$(strata get users/u2 --compact)"
  expect_match "Label: cfg" "$(sgit log -1 --format=%B)"
  cd ../w1
  expect_eq "$(git --git-dir ../r/.strata rev-parse main)" "$(jpath "d[\"base\"]" <.strata)"
  expect_eq "[] [] []" "$(st | jpath "\" \".join(json.dumps(d[k]) for k in (\"created\",\"modified\",\"deleted\"))")"
  expect_eq "nothing to commit: the folder holds the base $(git --git-dir ../r/.strata rev-parse main | cut -c1-12)" "$(strata commit)"
'

test_expect_success 'commit after the branch moved: a clean merge, and the folder follows' '
  cd r
  strata set config/app1 /db/pool 9 -m "raise pool" >/dev/null
  cd ../w1
  sed -i "s/\"Rob\"/\"Robert\"/" users/u2.json
  strata commit -m "rename" >out
  expect_match "merging the change" "$(cat out)"
  cd ../r
  expect_eq "2" "$(sgit log -1 --format=%P | wc -w)"
  expect_eq "\"Robert\"" "$(strata get users/u2 /name)"
  expect_eq "9" "$(strata get config/app1 /db/pool)"
  cd ../w1
  expect_eq "9" "$(jpath "d[\"db\"][\"pool\"]" <config/app1.json)"
  expect_eq "$(git --git-dir ../r/.strata rev-parse main)" "$(jpath "d[\"base\"]" <.strata)"
  expect_eq "[]" "$(st | jpath "d[\"modified\"]")"
'

test_expect_success 'commit after the branch moved: a conflict, resolved, then continue' '
  cd r
  strata set config/app1 /db/host "\"db-main\"" -m "main host" >/dev/null
  cd ../w1
  sed -i "s/\"db1\"/\"db-folder\"/" config/app1.json
  rc=0
  strata commit -m "folder host" >out 2>errout || rc=$?
  expect_eq 1 "$rc"
  expect_match "^strata: error: merge stopped on 1 conflict" "$(cat errout)"
  expect_match "^CONFLICT \(both modified +config/app1 /db/host\)" "$(cat out)"
  expect_match "config/app1" "$(strata conflicts)"
  expect_eq "db-folder" "$(jpath "d[\"db\"][\"host\"]" <config/app1.json)"
  strata resolve config/app1 /db/host --theirs >/dev/null
  strata merge --continue >/dev/null
  cd ../r
  expect_eq "\"db-folder\"" "$(strata get config/app1 /db/host)"
  cd ../w1
  expect_eq "$(git --git-dir ../r/.strata rev-parse main)" "$(jpath "d[\"base\"]" <.strata)"
  expect_eq "[]" "$(st | jpath "d[\"modified\"]")"
'

test_expect_success 'worktree list names each folder; two folders on two branches' '
  cd r
  strata branch dev >/dev/null
  strata worktree add ../w2 --branch dev >/dev/null
  strata worktree list --json >l
  expect_eq "main dev" "$(jpath "\" \".join(w[\"branch\"] for w in d)" <l)"
  expect_eq "$TRASH/w1 $TRASH/w2" "$(jpath "\" \".join(w[\"folder\"] for w in d)" <l)"
  cd ../w2
  echo "{\"x\": 1}" >dev-only.json
  strata commit -m dev >/dev/null
  cd ../r
  expect_fail 1 strata get dev-only
  expect_eq "{\"x\":1}" "$(strata get dev-only@dev --compact)"
  cd ../w1
  expect_eq "" "$(ls dev-only.json 2>/dev/null || true)"
'

test_expect_success 'switch in a folder moves the folder, refusing to lose changes' '
  cd w1
  sed -i "s/app-two/app-2/" config/app2.json
  echo "{\"y\": 2}" >dev-only.json
  expect_fail 1 strata switch dev
  expect_match "dev-only.json" "$(err)"
  rm dev-only.json
  strata switch dev >out
  expect_match "switched the working folder to branch .dev." "$(cat out)"
  expect_match "kept your changes to config/app2" "$(cat out)"
  expect_eq "{\"x\":1}" "$(python3 -c "import json;print(json.dumps(json.load(open(\"dev-only.json\")),separators=(\",\",\":\")))")"
  expect_eq "dev" "$(jpath "d[\"branch\"]" <.strata)"
  expect_eq "main" "$(cd ../r && strata branch --json | jpath "[b[\"name\"] for b in d if b[\"current\"]][0]")"
  expect_eq "[\"config/app2\"]" "$(st | jpath "d[\"modified\"]")"
  strata restore --all >/dev/null
  strata switch main >/dev/null
  expect_eq "" "$(ls dev-only.json 2>/dev/null || true)"
'

test_expect_success 'a symbolic link planted in the folder is never followed' '
  mkdir outside
  echo "{\"keep\": true}" >outside/app2.json
  cd w1
  rm -rf config
  ln -s ../outside config
  st >s
  expect_eq "[\"config/app1\",\"config/app2\"]" "$(jpath "d[\"deleted\"]" <s)"
  expect_fail 1 strata restore --all
  expect_match "symbolic link" "$(err)"
  expect_eq "{\"keep\": true}" "$(cat ../outside/app2.json)"
  rm config
  strata restore --all >/dev/null
  expect_eq "[]" "$(st | jpath "d[\"deleted\"]")"
'

test_expect_success 'worktree remove refuses with changes, then removes what it wrote' '
  cd r
  echo "{}" >../w2/new.json
  echo "notes" >../w2/README.txt
  expect_fail 1 strata worktree remove ../w2
  expect_match "new.json" "$(err)"
  rm ../w2/new.json
  strata worktree remove ../w2 >out
  expect_match "README.txt" "$(cat out)"
  expect_eq "README.txt" "$(ls ../w2)"
  expect_eq "1" "$(strata worktree list --json | jpath "len(d)")"
'

test_expect_success 'a folder whose repository was moved says so' '
  cp -r r r-copy
  strata --repo r-copy worktree add w3 >/dev/null
  mv r-copy r-moved
  cd w3
  expect_fail 1 strata status
  expect_match "r-copy/.strata, which is missing" "$(err)"
'

test_expect_success 'switch to a branch whose ids fold to one path is refused, nothing written' '
  cd r
  strata branch folded >/dev/null
  strata put Config/app1 --branch folded <<<"{\"x\": 1}" >/dev/null
  cd ../w1
  expect_fail 1 strata switch folded
  expect_match "differ only in letter case" "$(err)"
  expect_eq "main" "$(jpath "d[\"branch\"]" <.strata)"
  expect_eq "" "$(ls -d Config 2>/dev/null || true)"
'

test_expect_success 'status outside a working folder is an error' '
  cd r
  expect_fail 1 strata status
  expect_match "not one" "$(err)"
'

test_done
