#!/usr/bin/env bash
# push --perspective: the receiving repository gets a projected history and
# no object in it holds a hidden or masked value (every object searched,
# deltas decompressed); the projection is deterministic across sites and
# incremental; over git:// as well as a local path.
. "$(dirname "$0")/lib.sh"
. "$TEST_SRC_DIR/server-lib.sh"

mkdir -p srv
if start_git_daemon "$TRASH/srv"; then HAVE_DAEMON=1; else HAVE_DAEMON=0; fi

# site DIR: the same history on any site (fixed author and time).
site() {
  new_repo "$1"
  cat >p.json <<'JSON'
{"perspectives": {"public": {"docs": ["config/**"],
  "rules": [{"path": "/**", "action": "show"},
            {"path": "/secrets", "action": "hide"},
            {"path": "/db/password", "action": "mask"}]}}}
JSON
  strata put .perspectives p.json -m "who sees what" >/dev/null
  strata put config/app <<<'{"db":{"host":"h1","password":"PW-PLANTED-1"},"secrets":{"token":"TOKEN-PLANTED-2"}}' >/dev/null
  strata put internal/keys <<<'{"root":"ROOT-PLANTED-3"}' >/dev/null
  strata set config/app /secrets/token '"TOKEN-PLANTED-4"' >/dev/null
  strata set config/app /db/host '"h2"' -m "move the database" >/dev/null
  strata set config/app /db/password '"PW-PLANTED-5"' >/dev/null
  cd "$TRASH"
}

# Every object of a repository as text: commits, trees, blobs, and each
# delta.zst decompressed.
dump_objects() {
  local dir=$1
  git --git-dir "$dir" cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' |
    while read -r id type; do
      git --git-dir "$dir" cat-file -p "$id"
      if [ "$type" = blob ]; then
        git --git-dir "$dir" cat-file blob "$id" | zstd -dcq 2>/dev/null || true
      fi
    done
}

test_expect_success 'push --perspective to a local bare repository: no planted secret there' '
  site a
  git init -q --bare pub.git
  cd a
  strata push --perspective public ../pub.git main --json >out
  projected=$(jpath "d[\"projected\"]" <out)
  expect_eq "$projected" "$(git --git-dir ../pub.git rev-parse main)"
  dump_objects ../pub.git >../all.txt
  cd ..
  expect_no_match "PLANTED" "$(cat all.txt)"
  expect_no_match "internal/keys" "$(cat all.txt)"
  expect_no_match "/secrets" "$(cat all.txt)"
  # What the reader may see did arrive: the masked value as "***", the host.
  expect_match "\*\*\*" "$(cat all.txt)"
  expect_match "\"h2\"" "$(cat all.txt)"
  # Versions that changed nothing visible are left out: internal/keys and the
  # hidden token change; the password change shows as a masked value that did
  # not change, so it is left out too.
  expect_eq "2" "$(git --git-dir pub.git rev-list --count main)"
  expect_eq "move the database" "$(git --git-dir pub.git log -1 --format=%s main)"
  git --git-dir pub.git fsck --strict 2>&1
'

test_expect_success 'a strata clone of the projection reads as the perspective shows it' '
  strata clone pub.git reader >/dev/null
  cd reader
  expect_eq "{\"db\":{\"host\":\"h2\",\"password\":\"***\"}}" "$(strata get config/app)"
  expect_fail 1 strata get internal/keys
  strata verify >/dev/null
'

test_expect_success 'deterministic: two sites with the same history project to the same ids' '
  site b
  git init -q --bare pub-b.git
  (cd b && strata push --perspective public ../pub-b.git main >/dev/null)
  expect_eq "$(git --git-dir pub.git rev-parse main)" "$(git --git-dir pub-b.git rev-parse main)"
'

test_expect_success 'pushing again sends only what is new' '
  cd a
  expect_eq "Everything up-to-date" "$(strata push --perspective public ../pub.git main)"
  before=$(git --git-dir ../pub.git count-objects -v | awk "/^count:/ {c=\$2} /^in-pack:/ {p=\$2} END {print c+p}")
  strata set config/app /db/port 5432 >/dev/null
  strata push --perspective public ../pub.git main --json >out
  after=$(git --git-dir ../pub.git count-objects -v | awk "/^count:/ {c=\$2} /^in-pack:/ {p=\$2} END {print c+p}")
  new=$(git --git-dir ../pub.git rev-list --objects main^..main | wc -l)
  expect_eq "$new" "$((after - before))"
  expect_eq "3" "$(git --git-dir ../pub.git rev-list --count main)"
'

test_expect_success 'over git://, and the plain push of the same branch carries the secrets (control)' '
  [ "$HAVE_DAEMON" = 1 ] || skip "$SERVER_SKIP"
  git init -q --bare srv/pub.git
  git init -q --bare srv/full.git
  cd a
  strata push --perspective public "$GIT_DAEMON_URL/pub.git" main >/dev/null
  strata push "$GIT_DAEMON_URL/full.git" main >/dev/null
  expect_no_match "PLANTED" "$(dump_objects ../srv/pub.git)"
  expect_match "PW-PLANTED-5" "$(dump_objects ../srv/full.git)"
  expect_eq "$(git --git-dir ../pub.git rev-parse main)" "$(git --git-dir ../srv/pub.git rev-parse main)"
'

test_expect_success 'a branch with nothing visible is refused; --tags is refused through a perspective' '
  new_repo nothing
  cat >p.json <<'"'"'JSON'"'"'
{"perspectives": {"none": {"docs": ["config/**"]}}}
JSON
  strata put .perspectives p.json >/dev/null
  strata put other/x <<<"1" >/dev/null
  git init -q --bare ../n.git
  expect_fail 1 strata push --perspective none ../n.git main
  expect_match "nothing on branch .main. is visible" "$(err)"
  cd ../a
  expect_fail 1 strata push --perspective public ../pub.git main --tags
  expect_match "tags" "$(err)"
'

test_done
