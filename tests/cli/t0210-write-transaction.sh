#!/usr/bin/env bash
# The write transaction from the command line: --expect, edit against a
# concurrent change, detached HEAD, stale and held locks.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
cd "$TRASH"

test_expect_success '--expect refuses a write whose document moved since REV' '
  cd r
  strata set app /n 1 >/dev/null
  strata set other /n 1 >/dev/null
  base=$(sgit rev-parse main)
  STRATA_AUTHOR="Bob <bob@example.com>" strata set app /m 2 >/dev/null
  snapshot_repo
  expect_fail 1 strata set app /n 5 --expect "$base"
  expect_match "document .app. was changed by Bob <bob@example.com> at .* since version ${base:0:12}" "$(err)"
  expect_repo_unchanged
  # A document that did not move is written.
  strata set other /n 5 --expect "$base" >/dev/null
  expect_eq 5 "$(strata get other /n)"
  expect_fail 1 strata set app /n 5 --expect nope
  expect_match "nope" "$(err)"
'

test_expect_success 'edit refuses to overwrite a change made while the editor was open, and keeps the text' '
  cd r
  strata set cfg /host "\"a\"" >/dev/null
  # The editor: another process changes cfg meanwhile, then the user saves.
  cat >editor.sh <<EOS
#!/bin/sh
STRATA_AUTHOR="Other <o@example.com>" "$STRATA" --repo "$TRASH/r" set cfg /port 9 >/dev/null || exit 3
printf "{\"host\": \"mine\"}\n" >"\$1"
EOS
  chmod +x editor.sh
  export EDITOR="$PWD/editor.sh"
  expect_fail 1 strata edit cfg
  expect_match "document .cfg. was changed by Other" "$(err)"
  expect_match "your text is kept in " "$(err)"
  kept=$(err | sed -n "s/.*your text is kept in \([^:]*\):.*/\1/p")
  expect_eq "{\"host\": \"mine\"}" "$(cat "$kept")"
  rm -f "$kept"
  # The other change stands.
  expect_eq "{\"host\":\"a\",\"port\":9}" "$(strata get cfg)"
  # Without a concurrent change, edit writes.
  printf "#!/bin/sh\nprintf \"{\\\\\"host\\\\\": \\\\\"b\\\\\"}\" >\"\$1\"\n" >editor2.sh
  chmod +x editor2.sh
  export EDITOR="$PWD/editor2.sh"
  strata edit cfg >/dev/null
  expect_eq "{\"host\":\"b\"}" "$(strata get cfg)"
'

test_expect_success 'a write on a detached HEAD moves HEAD, never creates refs/heads/HEAD' '
  cd r
  main=$(sgit rev-parse main)
  first=$(sgit rev-parse main~1)
  sgit update-ref --no-deref HEAD "$first"
  out=$(strata set det /v 1)
  expect_match "^\[detached HEAD [0-9a-f]{12}\] set det /v" "$out"
  expect_eq "" "$(sgit for-each-ref refs/heads/HEAD)"
  expect_eq "$first" "$(sgit rev-parse HEAD~1)"
  expect_eq 1 "$(strata get det /v)"
  expect_eq "$main" "$(sgit rev-parse main)"
  expect_fail 1 strata get det@main
  sgit symbolic-ref HEAD refs/heads/main
'

test_expect_success 'a git lock left by a killed process: verify notes it, the next write removes it' '
  cd r
  : >.strata/refs/heads/main.lock
  touch -d "10 seconds ago" .strata/refs/heads/main.lock
  strata verify >vout 2>verr
  expect_match "^strata: note: lock file: .*main\.lock exists" "$(cat verr)"
  expect_match "^ok: .*, 0 problems, 1 note$" "$(cat vout)"
  before=$(sgit rev-parse main)
  strata set stale /v 1 >/dev/null
  test ! -e .strata/refs/heads/main.lock
  expect_eq "$before" "$(sgit rev-parse main~1)"
  expect_eq 1 "$(strata get stale /v)"
  strata verify >vout 2>verr
  expect_eq "" "$(cat verr)"
'

test_expect_success 'a git lock that is not stale: the error names it and how to remove it' '
  cd r
  : >.strata/refs/heads/main.lock
  # Made "in the future" (a clock ahead): never taken for stale.
  touch -d "1 hour" .strata/refs/heads/main.lock
  snapshot_repo
  expect_fail 1 strata set fresh /v 1
  expect_match "\.strata/refs/heads/main\.lock exists \(made [0-9]+ seconds? ago\)" "$(err)"
  expect_match "rm .*main\.lock" "$(err)"
  expect_no_match "kept moving" "$(err)"
  expect_repo_unchanged
  rm .strata/refs/heads/main.lock
  strata set fresh /v 1 >/dev/null
  strata verify >/dev/null
'

test_expect_success 'a held write lock: writers wait, then time out naming it and its holder' '
  cd r
  command -v flock >/dev/null || skip "no flock(1)"
  flock .strata/strata.lock sh -c "touch held; while [ ! -e release ]; do sleep 0.05; done" &
  holder=$!
  while [ ! -e held ]; do sleep 0.01; done
  sgit config strata.lockTimeout 0
  expect_fail 1 strata set locked /v 1
  expect_match "timed out after 0 seconds waiting for the write lock .*\.strata/strata\.lock" "$(err)"
  touch release
  wait $holder
  strata set locked /v 1 >/dev/null
  sgit config --unset strata.lockTimeout
'

test_expect_success 'log -n refuses a negative count' '
  cd r
  rc=0
  strata log -n -1 >out 2>errs || rc=$?
  expect_eq 2 "$rc"
  expect_match "must be 0 or more" "$(cat errs)"
  expect_eq "" "$(strata log -n 0)"
'

test_expect_success '--branch writes to another branch without switching' '
  cd r
  sgit branch exp main
  main=$(sgit rev-parse main)
  out=$(strata set onexp /v 1 --branch exp)
  expect_match "^\[exp [0-9a-f]{12}\] set onexp /v" "$out"
  expect_eq "$main" "$(sgit rev-parse main)"
  expect_eq "refs/heads/main" "$(sgit symbolic-ref HEAD)"
  expect_eq 1 "$(strata get onexp@exp /v)"
  expect_fail 1 strata get onexp
  expect_eq exp "$(strata set onexp /v 2 --branch exp --json | jpath "d[\"branch\"]")"
  snapshot_repo
  expect_fail 1 strata set onexp /v 3 --branch nope
  expect_match "no branch .nope." "$(err)"
  expect_fail 1 strata set onexp /v 3 --branch "bad..name"
  expect_match "invalid branch name" "$(err)"
  expect_repo_unchanged
  # edit reads the branch it writes to.
  printf "#!/bin/sh\ncp \"\$1\" \"%s/seen.json\"\nprintf \"{\\\\\"v\\\\\": 3}\" >\"\$1\"\n" "$PWD" >ed.sh
  chmod +x ed.sh
  export EDITOR="$PWD/ed.sh"
  strata edit onexp --branch exp >/dev/null
  expect_eq 2 "$(jpath "d[\"v\"]" <seen.json)"
  expect_eq 3 "$(strata get onexp@exp /v)"
  expect_eq "$main" "$(sgit rev-parse main)"
'

test_done
