#!/usr/bin/env bash
# Hooks in .strata/hooks/ (docs/events.md): pre-commit refuses or lets a
# version through and sees it on stdin; post-commit, post-merge and
# post-receive are told, and their failure is a warning; the time limit
# kills a hook's whole process group; a hook that ignores its input or
# floods its output does not hang strata; clone brings no hooks.
. "$(dirname "$0")/lib.sh"

# hook REPO NAME BODY: an executable hook (a /bin/sh script).
hook() {
  mkdir -p "$1/.strata/hooks"
  printf '#!/bin/sh\n%s\n' "$3" >"$1/.strata/hooks/$2"
  chmod +x "$1/.strata/hooks/$2"
}

test_expect_success 'pre-commit exit 1 refuses: exit 1, its stderr shown, nothing moves' '
  new_repo r1
  strata set d /a 1 >/dev/null
  hook . pre-commit "echo \"policy: d is frozen\" >&2; exit 1"
  log=$(strata log)
  rev=$(sgit rev-parse main)
  refs=$(sgit for-each-ref)
  expect_fail 1 strata set d /a 2
  expect_eq "strata: error: the pre-commit hook refused the version on refs/heads/main (exit 1); nothing was written: policy: d is frozen" "$(err)"
  expect_eq "$log" "$(strata log)"
  expect_eq "$rev" "$(sgit rev-parse main)"
  expect_eq "$refs" "$(sgit for-each-ref)"
  expect_eq 1 "$(strata get d /a)"
'

test_expect_success 'pre-commit sees the proposed version and delta on stdin, in the repository folder' '
  new_repo r2
  strata set d /a 1 >/dev/null
  parent=$(sgit rev-parse main)
  hook . pre-commit "cat >\"\$STRATA_DIR/../stdin.json\"; pwd >cwd.txt; echo \"\$STRATA_DIR \$STRATA_HOOK\" >env.txt"
  STRATA_TIME=1700000100 strata set d /b "{\"x\":[1,2.50]}" -m "add b" --label l1 --author "Ann <ann@x.org>" >/dev/null
  expect_eq "[{\"op\":\"add\",\"path\":\"/d/b\",\"value\":{\"x\":[1,2.5]}}]" "$(jq -c .delta stdin.json)"
  # As strata prints it (numbers as people write them), on one line.
  grep -F "\"delta\":[{\"op\":\"add\",\"path\":\"/d/b\",\"value\":{\"x\":[1,2.5]}}]" stdin.json
  expect_eq 1 "$(wc -l <stdin.json)"
  expect_eq "$(sgit rev-parse main)" "$(jq -r .version.id stdin.json)"
  expect_eq "$(sgit rev-parse main)" "$(jq -r .new stdin.json)"
  expect_eq "$parent" "$(jq -r .old stdin.json)"
  expect_eq "[\"$parent\"]" "$(jq -c .version.parents stdin.json)"
  expect_eq "write update refs/heads/main true false" "$(jq -r "[.kind, .action, .ref, .written, .fast_forward] | join(\" \")" stdin.json)"
  expect_eq "{\"email\":\"ann@x.org\",\"name\":\"Ann\"} add b [\"l1\"] 1700000100" "$(jq -c -j ".version.author, \" \", .version.message, \" \", .version.labels, \" \", .version.timestamp" stdin.json)"
  expect_eq "$TRASH/r2" "$(cat cwd.txt)"
  expect_eq "$TRASH/r2/.strata pre-commit" "$(cat env.txt)"
'

test_expect_success 'post-commit failure: a warning on stderr, exit 0, the version written' '
  new_repo r3
  hook . post-commit "cat >\"\$STRATA_DIR/../post.json\"; echo \"post oops\" >&2; exit 3"
  strata set d /a 5 >out 2>stderr
  expect_eq "strata: warning: post-commit hook failed (exit 3): post oops" "$(cat stderr)"
  expect_eq 5 "$(strata get d /a)"
  expect_eq "$(sgit rev-parse main)" "$(jq -r .version.id post.json)"
  expect_eq "write create null" "$(jq -r "[.kind, .action, (.old | tostring)] | join(\" \")" post.json)"
  expect_match "^\[main [0-9a-f]{12}\] set d /a" "$(cat out)"
'

test_expect_success 'a hook past strata.hookTimeout is killed with its child, and the write refused' '
  new_repo r4
  strata set d /a 1 >/dev/null
  sgit config strata.hookTimeout 1
  hook . pre-commit "sleep 300 & echo \$! >\"\$STRATA_DIR/../child.pid\"; sleep 300"
  rev=$(sgit rev-parse main)
  start=$(date +%s)
  expect_fail 1 strata set d /a 2
  elapsed=$(( $(date +%s) - start ))
  expect_match "killed after the 1-second time limit, strata.hookTimeout" "$(err)"
  [ "$elapsed" -lt 30 ]
  expect_eq "$rev" "$(sgit rev-parse main)"
  child=$(cat child.pid)
  # Gone, or a zombie waiting for a reaper: either way, no longer running.
  for i in $(seq 50); do
    state=$(awk "{print \$3}" /proc/$child/stat 2>/dev/null || echo gone)
    if [ "$state" = gone ] || [ "$state" = Z ]; then break; fi
    sleep 0.1
  done
  expect_match "^(gone|Z)$" "$state"
'

test_expect_success 'strata.hookTimeout: a bad value is a clear error; 0 is no limit' '
  new_repo r5
  hook . pre-commit "exit 0"
  sgit config strata.hookTimeout soon
  expect_fail 1 strata set d /a 1
  expect_match "strata.hookTimeout is .soon.: it must be a whole number of seconds" "$(err)"
  expect_eq 0 "$(count_versions)"
  sgit config strata.hookTimeout 0
  strata set d /a 1 >/dev/null
  expect_eq 1 "$(count_versions)"
'

test_expect_success 'post-merge runs for a fast-forward and for a merge version' '
  new_repo r6
  strata set d /a 1 >/dev/null
  strata branch topic >/dev/null
  strata set d /b 2 --branch topic >/dev/null
  hook . post-merge "cat >>\"\$STRATA_DIR/../merges.jsonl\""
  hook . post-commit "cat >>\"\$STRATA_DIR/../commits.jsonl\""
  strata merge topic >/dev/null
  strata set d /c 3 --branch topic >/dev/null
  strata set e /x 1 >/dev/null
  strata merge topic -m "merge topic" >/dev/null 2>stderr
  expect_eq "" "$(cat stderr)"
  expect_eq "merge true false 1
merge false true 1" "$(jq -r "[.kind, .fast_forward, .written, (.delta | length)] | join(\" \")" merges.jsonl)"
  expect_eq "[{\"op\":\"add\",\"path\":\"/d/b\",\"value\":2}]" "$(head -n 1 merges.jsonl | jq -c .delta)"
  expect_eq "$(sgit rev-parse main)" "$(tail -n 1 merges.jsonl | jq -r .version.id)"
  # post-commit: every version written once the hook was there, on any branch.
  expect_eq "refs/heads/topic refs/heads/main refs/heads/main" "$(jq -r .ref commits.jsonl | paste -sd " ")"
'

test_expect_success 'post-receive runs for fetch and pull, and on both sides of a push to a folder' '
  new_repo up
  strata set d /a 1 >/dev/null
  cd "$TRASH"
  strata clone up down >/dev/null
  hook up post-receive "cat >>\"\$STRATA_DIR/../received.jsonl\""
  hook down post-receive "cat >>\"\$STRATA_DIR/../received.jsonl\""
  (cd up && strata set d /a 2 >/dev/null)
  cd down
  strata fetch >/dev/null
  (cd ../up && strata set d /a 3 >/dev/null)
  strata pull >/dev/null
  strata set d /b 1 >/dev/null
  strata push >/dev/null 2>stderr
  expect_eq "" "$(cat stderr)"
  expect_eq "fetch update refs/remotes/origin/main
pull update refs/remotes/origin/main
push update refs/remotes/origin/main" "$(jq -r "[.kind, .action, .ref] | join(\" \")" received.jsonl)"
  expect_eq "[{\"op\":\"replace\",\"path\":\"/d/a\",\"value\":2}]" "$(head -n 1 received.jsonl | jq -c .delta)"
  expect_eq "receive update refs/heads/main $(sgit rev-parse main)" "$(jq -r "[.kind, .action, .ref, .new] | join(\" \")" ../up/received.jsonl)"
'

test_expect_success 'a hook that ignores a large input, or floods its output, does not hang strata' '
  new_repo r7
  python3 -c "import json; print(json.dumps({\"k%d\" % i: \"v\" * 100 for i in range(40000)}))" >big.json
  hook . pre-commit "exit 0"
  hook . post-commit "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2; exit 0"
  strata put big big.json >/dev/null 2>stderr
  expect_eq "" "$(cat stderr)"
  expect_eq 1 "$(count_versions)"
  hook . post-commit "exit 4"
  strata put big2 big.json >/dev/null 2>stderr
  expect_eq "strata: warning: post-commit hook failed (exit 4)" "$(cat stderr)"
'

test_expect_success 'a hook file that is not executable is skipped, with a warning' '
  new_repo r8
  hook . pre-commit "exit 1"
  chmod -x .strata/hooks/pre-commit
  strata set d /a 1 >/dev/null 2>stderr
  expect_eq "strata: warning: the pre-commit hook was ignored because it is not an executable file: $TRASH/r8/.strata/hooks/pre-commit (make it executable with chmod +x, or remove it)" "$(cat stderr)"
  expect_eq 1 "$(count_versions)"
'

test_expect_success 'clone and fetch bring no hooks' '
  new_repo src
  strata set d /a 1 >/dev/null
  hook . pre-commit "exit 1"
  hook . post-commit "exit 0"
  cd "$TRASH"
  strata clone src copy >/dev/null
  new_repo fresh
  cd "$TRASH"
  # What a new repository has in .strata/hooks (libgit2 leaves a README.sample), no more.
  fresh=$(cd fresh/.strata/hooks && find . -type f | sort)
  expect_eq "$fresh" "$(cd copy/.strata/hooks && find . -type f | sort)"
  expect_no_match "pre-commit|post-commit" "$fresh"
  cd copy
  strata fetch >/dev/null
  expect_eq "$fresh" "$(cd .strata/hooks && find . -type f | sort)"
  strata set d /a 2 >/dev/null
  expect_eq 2 "$(count_versions)"
'

test_done
