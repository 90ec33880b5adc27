#!/usr/bin/env bash
# The main job, end to end: install, build, then strata at work on a local
# repository in a temporary folder: versions with labels, log, show, diff,
# a time-travel read, a multi-document patch, --expect, a branch merged back
# value by value (with a conflict resolved), history, blame, tags, revert,
# perspectives, schemas, sync between two sites, a working folder edited as
# files with a hook and watch, then verify and git fsck.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
strata="${BUILD_DIR:-$root/build}/cli/strata"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export STRATA_AUTHOR="Ada Operator <ada@example.com>"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

step "$strata" init
echo '{"db": {"host": "localhost", "port": 5432, "pool": 10}, "features": ["search"], "ratio": 1.5}' > app1.json
step "$strata" put config/app1 app1.json -m "first config for app1" --label initial
step "$strata" set config/app1 /db/host '"db.prod.internal"' -m "point app1 at production" --label ops
step "$strata" set config/app1 /db/pool 20 --label tuning --label minor-edit
cat > rollout.json <<'JSON'
[
  {"op": "add", "path": "/config~1app2", "value": {"db": {"host": "db.prod.internal"}, "debug": false}},
  {"op": "add", "path": "/config~1app1/features/-", "value": "beta-ui"},
  {"op": "test", "path": "/config~1app1/db/pool", "value": 20}
]
JSON
step "$strata" patch rollout.json -m "roll out app2 and the beta UI" --label ui-change
echo; echo "# optimistic concurrency: write only if config/app1 is as it was at a version"
step "$strata" set config/app1 /db/pool 30 --expect HEAD~1 || true
step "$strata" set config/app1 /db/pool 30 --expect HEAD -m "pool up, knowing the rollout"
step "$strata" log
step "$strata" show HEAD
step "$strata" diff HEAD~4
step "$strata" diff HEAD~4 --format patch
echo; echo "# time travel: app1's database as it was two versions ago"
step "$strata" get config/app1@HEAD~3 /db
step "$strata" ls
echo; echo "# try a change on a branch, while main moves on; merge it back value by value"
step "$strata" switch -c experiment
step "$strata" set config/app1 /db/pool 50 -m "try a bigger pool"
step "$strata" set config/app2 /debug true -m "debug app2 while testing"
step "$strata" switch main
step "$strata" set config/app1 /db/pool 40 -m "main raises the pool too"
step "$strata" branch
step "$strata" merge experiment || true
step "$strata" conflicts
step "$strata" resolve config/app1 /db/pool --value 45
step "$strata" merge --continue -m "merge the experiment; pool settled at 45"
echo; echo "# review: who changed the pool, and what set each value"
step "$strata" history config/app1 /db/pool
step "$strata" blame config/app1
step "$strata" log --oneline --label tuning
step "$strata" tag v1 -m "first release"
echo; echo "# undo exactly what one version changed (the debug flag, from the experiment)"
step "$strata" revert experiment -m "no debug in production"
step "$strata" get config/app2
echo; echo "# perspectives: each reader sees only what it may (docs/perspectives.md)"
cat >perspectives.json <<'JSON'
{"perspectives": {
  "public": {"docs": ["config/**"],
             "rules": [{"path": "/**", "action": "show"},
                       {"path": "/db/password", "action": "mask"},
                       {"path": "/features", "action": "hide"}]},
  "ops":    {"extends": "public", "rules": [{"path": "/features", "action": "show"}]}}}
JSON
step "$strata" put .perspectives perspectives.json -m "who sees what"
step "$strata" set config/app1 /db/password '"s3cret"' -m "set the db password"
step "$strata" perspective show ops
step "$strata" get config/app1 --perspective public
step "$strata" log -p -n 1 --perspective public
step "$strata" export public-view --perspective public
step find public-view -type f
echo; echo "# schemas: a write that breaks one is refused, with every violation"
cat >schemas.json <<'JSON'
{"schemas": [{"doc": "config/*", "schema": {"properties": {"db": {"properties": {
  "pool": {"type": "integer", "minimum": 1, "maximum": 200}}}}}}]}
JSON
step "$strata" put .schemas schemas.json -m "bound the pool"
step "$strata" set config/app1 /db/pool 500 || true
step "$strata" validate
echo; echo "# sync: a second site clones, both change, sync merges and pushes (docs/sync.md)"
step "$strata" clone . site-b
( cd site-b && step "$strata" set config/app2 /db/pool 12 -m "site b: pool" )
step "$strata" set config/app1 /db/host '"db2.internal"' -m "site a: host"
( cd site-b && step "$strata" sync )
step "$strata" log --oneline -n 3
step git init -q --bare public-mirror.git
step "$strata" push public-mirror.git --perspective public
step git --git-dir public-mirror.git log --oneline -n 3 main
echo; echo "# a working folder, a hook and watch (docs/worktrees.md, docs/events.md, docs/watch.md)"
mark=$(git --git-dir .strata rev-parse HEAD)
# a hook runs in the repository's folder with the event as JSON on stdin
printf '#!/bin/sh\ncat >>post-commit-events.jsonl\n' >.strata/hooks/post-commit
chmod +x .strata/hooks/post-commit
step "$strata" worktree add desk
sed -i 's/"pool": [0-9]*/"pool": 48/' desk/config/app1.json
( cd desk && step "$strata" status && step "$strata" diff &&
  step "$strata" commit -m "pool 48, edited as a file" --label tuning )
step cut -c 1-150 post-commit-events.jsonl
# watch follows the branch until stopped; here timeout stops it after 2 s
step timeout -s INT 2 "$strata" watch --since "$mark" || true
step "$strata" verify
step git --git-dir .strata fsck --strict
step git --git-dir .strata log --format='%h %an: %s%n%(trailers:only,unfold)' -n 2
echo; echo "demo finished: strata $("$strata" --version | cut -d' ' -f2) in $work (removed on exit)"
