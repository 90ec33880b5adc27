# Shared set-up for strata's CLI tests: sourced by every tNNNN-*.sh script.
#
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'put then get' '
#     echo "{\"a\":1}" | strata put d -
#     expect_eq "{\"a\":1}" "$(strata get d)"
#   '
#   test_done
#
# Each test body runs in a subshell with `set -eo pipefail` inside the
# script's temporary folder ($TRASH, removed on exit), so any failing command
# fails the test. Write one command per line: bash ignores a failure on the
# left of `&&` or `||`, so `expect_eq a b && x` could never fail. What the
# body printed (and a trace) is shown only when it fails; `skip REASON` in a
# body marks the test skipped. Output is TAP: "ok N - name" / "not ok N -
# name", then "1..N"; the script exits 1 if any test failed.
#
# The binary is $STRATA (ctest passes $<TARGET_FILE:strata>), else the one in
# build/. HOME points at $TRASH so the user's git config plays no part, and
# STRATA_AUTHOR / STRATA_TIME make versions reproducible.

set -u

TEST_NAME=$(basename "$0" .sh)
TEST_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${STRATA:-}" ]; then
  STRATA="$TEST_SRC_DIR/../../build/cli/strata"
fi
case "$STRATA" in /*) ;; *) STRATA="$PWD/$STRATA" ;; esac
if [ ! -x "$STRATA" ]; then
  echo "Bail out! strata binary not found at $STRATA (set STRATA)" >&2
  exit 1
fi
export STRATA

# This script's own folder, absolute and with symbolic links resolved (tests
# compare paths strata prints). Nothing outside it is written.
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/strata-cli-$TEST_NAME.XXXXXX") &&
  TRASH=$(cd "$TRASH" && pwd -P) || {
  echo "Bail out! cannot create a temporary folder in ${TMPDIR:-/tmp}" >&2
  exit 1
}
cleanup() {
  # Stop any writer a failed test left behind, then remove the folder.
  jobs -p | xargs -r kill 2>/dev/null || true
  if [ -n "${STRATA_TEST_KEEP:-}" ]; then
    echo "# kept $TRASH" >&2
  else
    rm -rf "$TRASH"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A clean, reproducible environment. Temporary files (strata edit's, bash's,
# python's) go inside $TRASH too, not to a folder other tests share.
umask 022
export HOME="$TRASH"
export XDG_CONFIG_HOME="$TRASH/.config"
mkdir "$TRASH/tmp"
export TMPDIR="$TRASH/tmp"
export GIT_CONFIG_NOSYSTEM=1
export TZ=UTC LC_ALL=C
export STRATA_AUTHOR="Test User <test@example.com>"
export STRATA_TIME=1700000000
# Output on a terminal (on_tty) is not paged unless a test asks for a pager.
export PAGER=cat
unset STRATA_DIR STRATA_PAGER NO_COLOR VISUAL EDITOR GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE \
      GIT_OBJECT_DIRECTORY GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME \
      GIT_COMMITTER_EMAIL GIT_CONFIG GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM \
      GIT_CONFIG_COUNT GIT_CONFIG_PARAMETERS GIT_COMMON_DIR GIT_NAMESPACE \
      GIT_ALTERNATE_OBJECT_DIRECTORIES EMAIL STRATA_JOURNAL_TEST_BOOT_ID \
      STRATA_JOURNAL_TEST_STOP 2>/dev/null || true
cd "$TRASH"

# Every strata run is bounded, so a hang fails one test instead of the suite.
export STRATA_TIMEOUT=${STRATA_TIMEOUT:-60}
strata() { timeout "$STRATA_TIMEOUT" "$STRATA" "$@"; }
# git on the repository in the current folder.
sgit() { git --git-dir .strata "$@"; }

test_count=0
test_failed=0

# test_expect_success NAME BODY
test_expect_success() {
  test_count=$((test_count + 1))
  local log="$TRASH/.test-$test_count.log"
  (
    # The trace goes to fd 9, so `2>file` in a test captures only the command's stderr.
    exec >>"$log" 2>&1 9>>"$log"
    BASH_XTRACEFD=9
    set -eo pipefail
    set -x
    eval "$2"
  )
  local rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "ok $test_count - $1"
  elif [ "$rc" -eq 77 ]; then
    echo "ok $test_count - $1 # skip $(cat "$TRASH/.skip" 2>/dev/null)"
  else
    test_failed=$((test_failed + 1))
    echo "not ok $test_count - $1 (exit $rc)"
    cut -c 1-300 "$log" | tail -n 80 | sed -e 's/^/#   /'
  fi
  cd "$TRASH"
}

# In a body, `skip REASON` ends the test as skipped (exit code 77).
skip() { echo "$1" >"$TRASH/.skip"; exit 77; }

# test_skip NAME REASON
test_skip() {
  test_count=$((test_count + 1))
  echo "ok $test_count - $1 # skip $2"
}

test_done() {
  echo "1..$test_count"
  if [ "$test_failed" -ne 0 ]; then
    echo "# $TEST_NAME: $test_failed of $test_count tests failed"
    exit 1
  fi
  exit 0
}

# --- assertions: each prints why and returns 1 on failure ---------------------

# expect_eq EXPECTED ACTUAL [WHAT]
expect_eq() {
  if [ "$1" != "$2" ]; then
    echo "FAIL${3:+ ($3)}: expected/actual:"
    printf '%s\n' "$1" | sed 's/^/  - /'
    printf '%s\n' "$2" | sed 's/^/  + /'
    return 1
  fi
}

# expect_ne UNEXPECTED ACTUAL [WHAT]
expect_ne() {
  if [ "$1" = "$2" ]; then
    echo "FAIL${3:+ ($3)}: did not expect: $2"
    return 1
  fi
}

# text_matches REGEX TEXT: a line of TEXT matches the extended regular
# expression. TEXT reaches grep as a here-string, never through a pipe: under
# pipefail, `printf '%s' "$2" | grep -q` fails (141) whenever grep finds its
# match and exits before printf, which writes line by line, has written the
# rest; how often that happens depends only on the machine's load.
text_matches() { [ -n "$2" ] && grep -Eq -- "$1" <<<"$2"; }

# expect_match REGEX TEXT: TEXT matches the extended regular expression.
expect_match() {
  if ! text_matches "$1" "$2"; then
    echo "FAIL: /$1/ does not match:"
    printf '%s\n' "$2" | sed 's/^/  | /'
    return 1
  fi
}

# expect_no_match REGEX TEXT
expect_no_match() {
  if text_matches "$1" "$2"; then
    echo "FAIL: /$1/ unexpectedly matches:"
    printf '%s\n' "$2" | sed 's/^/  | /'
    return 1
  fi
}

# expect_files_eq EXPECTED_FILE ACTUAL_FILE: byte for byte.
expect_files_eq() {
  if ! cmp -s "$1" "$2"; then
    echo "FAIL: $1 and $2 differ:"
    diff -u "$1" "$2" | head -n 40 || true
    return 1
  fi
}

# expect_fail CODE CMD...: CMD exits with CODE, prints nothing on stdout, and
# exactly one line on stderr, starting "strata: error:". The line is left in
# $TRASH/.err (read it with `err`), stdout in $TRASH/.out.
expect_fail() {
  local want=$1 rc=0
  shift
  "$@" >"$TRASH/.out" 2>"$TRASH/.err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL: '$*' exited $rc, expected $want; stderr:"
    sed 's/^/  | /' "$TRASH/.err"
    return 1
  fi
  local first
  first=$(head -n 1 "$TRASH/.err")
  if [ "${first#strata: error: }" = "$first" ]; then
    echo "FAIL: '$*': stderr does not start with 'strata: error: ':"
    sed 's/^/  | /' "$TRASH/.err"
    return 1
  fi
  if [ "$(wc -l <"$TRASH/.err")" -ne 1 ]; then
    echo "FAIL: '$*': stderr is not exactly one line:"
    sed 's/^/  | /' "$TRASH/.err"
    return 1
  fi
  if [ -s "$TRASH/.out" ]; then
    echo "FAIL: '$*': printed on stdout on failure:"
    sed 's/^/  | /' "$TRASH/.out"
    return 1
  fi
}
# The error line of the last expect_fail.
err() { cat "$TRASH/.err"; }

# What a failed command must not change: every ref and what it points at,
# HEAD, and the object counts (loose and packed). Run in the folder holding
# .strata, or pass the .strata folder.
repo_fingerprint() {
  local dir=${1:-.strata}
  echo "HEAD: $(cat "$dir/HEAD")"
  git --git-dir "$dir" for-each-ref --format='%(refname) %(objectname)'
  git --git-dir "$dir" rev-parse --verify -q main || echo "main: none"
  git --git-dir "$dir" count-objects -v | grep -v '^size'
  find "$dir/objects" -type f | sort
}
snapshot_repo() { repo_fingerprint "${1:-.strata}" >"$TRASH/.snapshot"; }
expect_repo_unchanged() {
  repo_fingerprint "${1:-.strata}" >"$TRASH/.snapshot.now"
  if ! cmp -s "$TRASH/.snapshot" "$TRASH/.snapshot.now"; then
    echo "FAIL: the repository changed:"
    diff -u "$TRASH/.snapshot" "$TRASH/.snapshot.now" | head -n 40 || true
    return 1
  fi
}

# new_repo DIR: a fresh repository in DIR (created), and cd there.
new_repo() {
  mkdir -p "$1"
  cd "$1"
  strata init >/dev/null
}

# jq-like field access with python3: `... | jpath 'd[0]["id"]'` prints the
# value (strings raw, anything else as compact JSON with sorted keys).
jpath() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1], {"d": d, "json": json})
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":")))
' "$1"
}

# version count on the current branch (0 for an empty repository)
count_versions() {
  if sgit rev-parse --verify -q main >/dev/null; then
    sgit rev-list --count main
  else
    echo 0
  fi
}

# on_tty [--input TEXT] CMD...: run CMD with its standard input, output and
# error on a new pseudo-terminal, TEXT typed into it first; prints all CMD
# wrote there (carriage returns removed) and exits with CMD's exit code.
# pty_run.py reads until the terminal's last user has closed it, so, unlike
# script(1), nothing is lost however slowly the machine runs (see there).
on_tty() { python3 "$TEST_SRC_DIR/pty_run.py" "$@"; }
# In a body: skip the test unless a pseudo-terminal can be opened here.
need_tty() {
  [ "$(python3 "$TEST_SRC_DIR/pty_run.py" echo ok 2>/dev/null)" = ok ] ||
    skip "no pseudo-terminal (python3 pty) here"
}
