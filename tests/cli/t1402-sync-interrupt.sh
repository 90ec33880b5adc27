#!/usr/bin/env bash
# An interrupted transfer leaves both sides consistent, and running it
# again completes it: a connection dropped mid-pack (a proxy that cuts it
# after N bytes) and Ctrl-C during a slow transfer (a proxy that trickles),
# for clone and fetch over git:// on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
. "$TEST_SRC_DIR/server-lib.sh"

mkdir -p srv
if ! start_git_daemon "$TRASH/srv"; then
  test_skip 'interrupted clone and fetch over git://' "$SERVER_SKIP"
  test_done
fi
GIT_DAEMON_PORT=${GIT_DAEMON_URL##*:}

# The served repository: ~2 MiB of documents that do not compress.
mkdir -p src
(
  cd src
  strata init >/dev/null
  python3 -c '
import json, os
for i in range(1500):
    print(json.dumps({"id": "d%04d" % i, "doc": {"blob": os.urandom(700).hex()}}))
' >docs.jsonl
  strata import docs.jsonl >/dev/null
  strata set d0000 /n 1 >/dev/null
)
git clone -q --bare src/.strata srv/s.git

# proxy MODE ARG: starts cut_proxy.py in front of the daemon; sets $PROXY_PORT.
proxy() {
  rm -f "$TRASH/proxy.port"
  python3 "$TEST_SRC_DIR/cut_proxy.py" "$TRASH/proxy.port" "$GIT_DAEMON_PORT" "$1" "$2" &
  PROXY_PID=$!
  for _ in $(seq 100); do
    [ -s "$TRASH/proxy.port" ] && break
    sleep 0.05
  done
  PROXY_PORT=$(cat "$TRASH/proxy.port")
}
stop_proxy() { kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }

test_expect_success 'a clone whose connection drops mid-pack leaves no folder; again, it completes' '
  proxy cut 300000
  expect_fail 1 strata clone "git://127.0.0.1:$PROXY_PORT/s.git" c1
  stop_proxy
  test ! -e c1
  strata clone "$GIT_DAEMON_URL/s.git" c1 >/dev/null
  expect_eq "1" "$(cd c1 && strata get d0000 /n)"
'

test_expect_success 'a fetch whose connection drops leaves the repository as it was; again, it completes' '
  strata clone "$GIT_DAEMON_URL/s.git" f1 >/dev/null
  (cd src && python3 -c "
import json, os
for i in range(1500):
    print(json.dumps({\"id\": \"e%04d\" % i, \"doc\": {\"blob\": os.urandom(700).hex()}}))
" >more.jsonl && strata import more.jsonl >/dev/null)
  git --git-dir srv/s.git fetch -q "$TRASH/src/.strata" +main:main
  cd f1
  proxy cut 300000
  strata remote add cut "git://127.0.0.1:$PROXY_PORT/s.git" >/dev/null
  snapshot_repo
  expect_fail 1 strata fetch cut
  stop_proxy
  expect_repo_unchanged
  test -z "$(ls .strata/incoming)"
  strata fetch >/dev/null
  expect_eq "$(git --git-dir ../srv/s.git rev-parse main)" "$(sgit rev-parse origin/main)"
  strata verify >/dev/null
  git --git-dir .strata fsck --strict 2>&1
'

test_expect_success 'a pack damaged on the way is refused; the repository is as it was' '
  strata clone "$GIT_DAEMON_URL/s.git" h1 >/dev/null
  cd h1
  (cd ../src && strata set d0001 /n 2 >/dev/null)
  git --git-dir ../srv/s.git fetch -q "$TRASH/src/.strata" +main:main
  proxy corrupt 2000
  strata remote add bad "git://127.0.0.1:$PROXY_PORT/s.git" >/dev/null
  snapshot_repo
  expect_fail 1 strata fetch bad
  stop_proxy
  expect_repo_unchanged
  test -z "$(ls .strata/incoming)"
  strata fetch >/dev/null
  expect_eq "2" "$(strata get d0001@origin/main /n)"
'

test_expect_success 'Ctrl-C during a fetch stops it cleanly; again, it completes' '
  strata init g1 >/dev/null
  cd g1
  proxy trickle "$TRASH/trickling"
  strata remote add slow "git://127.0.0.1:$PROXY_PORT/s.git" >/dev/null
  snapshot_repo
  rm -f "$TRASH/trickling"
  # Job control, so the background strata gets SIGINT as a terminal would
  # send it (a non-interactive shell starts background jobs with SIGINT
  # ignored), and strata itself, not a timeout wrapper, is signalled.
  set -m
  "$STRATA" fetch slow >../out 2>../errs &
  pid=$!
  for _ in $(seq 600); do
    [ -e "$TRASH/trickling" ] && break
    sleep 0.05
  done
  test -e "$TRASH/trickling"
  kill -INT "$pid"
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    echo "FAIL: strata fetch did not stop within 10 s of SIGINT"
    false
  fi
  rc=0
  wait "$pid" || rc=$?
  stop_proxy
  expect_ne 0 "$rc"
  expect_match "interrupted by SIGINT" "$(cat ../errs)"
  expect_repo_unchanged
  test -z "$(ls .strata/incoming)"
  strata remote add direct "$GIT_DAEMON_URL/s.git" >/dev/null
  strata fetch direct >/dev/null
  expect_eq "$(git --git-dir ../srv/s.git rev-parse main)" "$(sgit rev-parse direct/main)"
  strata verify >/dev/null
'

test_done
