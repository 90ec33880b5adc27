#!/usr/bin/env bash
# init, finding the repository (subfolder, --repo, STRATA_DIR), help and usage.
. "$(dirname "$0")/lib.sh"

test_expect_success 'init creates .strata, a bare git repository on main' '
  mkdir r1
  cd r1
  out=$(strata init)
  expect_eq "Initialized empty strata repository in $(pwd -P)/.strata (branch main)" "$out"
  expect_eq true "$(sgit rev-parse --is-bare-repository)"
  expect_eq "ref: refs/heads/main" "$(cat .strata/HEAD)"
  expect_eq refs/heads/main "$(sgit symbolic-ref HEAD)"
  expect_eq "" "$(sgit for-each-ref)" "no refs yet"
  test ! -e .git
'

test_expect_success 'a new repository has no versions: log fails, verify passes' '
  cd r1
  expect_fail 1 strata log
  expect_match "no versions" "$(err)"
  out=$(strata verify)
  expect_match "^ok: 0 versions" "$out"
'

test_expect_success 'init twice fails and leaves the repository as it was' '
  cd r1
  echo "{\"a\":1}" | strata put d - >/dev/null
  snapshot_repo
  expect_fail 1 strata init
  expect_match "already exists" "$(err)"
  expect_repo_unchanged
  expect_eq "{\"a\":1}" "$(strata get d)"
'

test_expect_success 'init DIR creates missing folders; init --json' '
  strata init a/b/c >/dev/null
  expect_eq true "$(git --git-dir a/b/c/.strata rev-parse --is-bare-repository)"
  out=$(strata init --json j)
  expect_eq "{\"branch\":\"main\",\"path\":\"$(pwd -P)/j/.strata\"}" "$out"
'

test_expect_success 'commands find the repository from a subfolder' '
  mkdir -p r1/x/y/z
  cd r1/x/y/z
  expect_eq "{\"a\":1}" "$(strata get d)"
  strata set d /b 2 >/dev/null
  cd "$TRASH/r1"
  expect_eq "{\"a\":1,\"b\":2}" "$(strata get d)"
  test ! -e x/y/z/.strata
'

test_expect_success '--repo takes the folder or the .strata folder, before or after the command' '
  mkdir elsewhere
  cd elsewhere
  expect_eq "{\"a\":1,\"b\":2}" "$(strata --repo "$TRASH/r1" get d)"
  expect_eq "{\"a\":1,\"b\":2}" "$(strata get d --repo "$TRASH/r1/.strata")"
  expect_eq "{\"a\":1,\"b\":2}" "$(strata --repo="$TRASH/r1" get d)"
  strata --repo "$TRASH/r1" set d /c 3 >/dev/null
  expect_eq 3 "$(strata --repo ../r1 get d /c)"
'

test_expect_success 'STRATA_DIR names the repository; --repo wins over it' '
  mkdir -p elsewhere
  cd elsewhere
  expect_eq 3 "$(STRATA_DIR="$TRASH/r1" strata get d /c)"
  expect_eq 3 "$(STRATA_DIR="$TRASH/r1/.strata" strata get d /c)"
  strata init "$TRASH/r2" >/dev/null
  echo 7 | strata --repo "$TRASH/r2" put d - >/dev/null
  expect_eq 7 "$(STRATA_DIR="$TRASH/r1" strata --repo "$TRASH/r2" get d)"
'

test_expect_success 'STRATA_DIR wins over the repository around the current folder' '
  cd r1
  expect_eq 7 "$(STRATA_DIR="$TRASH/r2" strata get d)"
'

test_expect_success 'outside any repository: a clear error, exit 1' '
  # strata looks upward with no ceiling (Repository::Discover), past $TRASH
  # into folders every process shares: a .strata anyone left there would be
  # found, so this can only be checked where there is none.
  d=$(dirname "$TRASH")
  while :; do
    if [ -e "$d/.strata" ]; then skip "$d/.strata exists above \$TRASH"; fi
    if [ "$d" = / ]; then break; fi
    d=$(dirname "$d")
  done
  mkdir -p outside/deeper
  cd outside/deeper
  expect_fail 1 strata get d
  expect_match "not in a strata repository" "$(err)"
  expect_fail 1 strata set d /a 1
  expect_match "strata init" "$(err)"
  test ! -e .strata
  test ! -e ../.strata
'

test_expect_success '--repo or STRATA_DIR naming no repository is an error' '
  mkdir -p empty
  expect_fail 1 strata --repo "$TRASH/empty" get d
  expect_match "no strata repository" "$(err)"
  expect_fail 1 env STRATA_DIR="$TRASH/nonexistent" "$STRATA" get d
  expect_match "no strata repository" "$(err)"
  test ! -e empty/.strata
  test ! -e nonexistent
'

test_expect_success 'every command has --help (exit 0, usage line)' '
  for c in init put set rm patch import edit get ls log history blame show diff tag label branch switch merge conflicts resolve cherry-pick revert verify; do
    out=$(strata $c --help)
    expect_match "^usage: strata $c" "$out"
    out=$(strata help $c)
    expect_match "^usage: strata $c" "$out"
  done
'

test_expect_success '--help lists every command; no command is bad usage (exit 2)' '
  out=$(strata --help)
  for c in init put set rm patch import edit get ls log history blame show diff tag label branch switch merge conflicts resolve cherry-pick revert verify; do
    # the name, then at least two spaces before its summary
    expect_match "^  $c  +[a-z]" "$out"
  done
  rc=0; strata >/dev/null 2>&1 || rc=$?
  expect_eq 2 "$rc"
  expect_match "^strata [0-9]+\.[0-9]+" "$(strata --version)"
'

test_done
