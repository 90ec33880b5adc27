#!/usr/bin/env bash
# What TransportSession (repo/transport.cc: credentials, host-key check,
# progress callbacks) costs on a transfer, against git on the same repository
# in the same run, over a git daemon on loopback (tests/cli/server-lib.sh):
#
#   bench/transport.sh STRATA_REPO_DIR [RUNS]
#     clone:  transport_probe clone git://.../r.git  vs  git clone --bare
#     push:   transport_probe push (every version into an empty repository)
#             vs  the same with no callbacks (PROBE_NO_CALLBACKS: libgit2's
#             own cost)  vs  git push
#
# transport_probe is build/tests/sync/transport_probe (or $TRANSPORT_PROBE).
# Prints the median of RUNS (default 3) seconds for each. Nothing is asserted.
set -euo pipefail
src=$(cd "$1/.strata" && pwd -P)
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
probe=${TRANSPORT_PROBE:-$here/../build/tests/sync/transport_probe}
probe=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe")

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/strata-transport-bench.XXXXXX")
cleanup() { rm -rf "$TRASH"; }
TEST_SRC_DIR="$here/../tests/cli"
. "$TEST_SRC_DIR/server-lib.sh"
mkdir -p "$TRASH/srv"
ln -s "$src" "$TRASH/srv/r.git"
start_git_daemon "$TRASH/srv" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed CMD...: seconds, CMD's output discarded.
timed() {
  local start end
  start=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

versions=$(git --git-dir "$src" rev-list --count refs/heads/main)
objects=$(git --git-dir "$src" count-objects -v | awk '/^in-pack:/ {print $2}')
echo "repository: $versions versions, $objects objects in packs; median of $runs runs"

for what in probe git; do
  for i in $(seq 1 "$runs"); do
    rm -rf "$TRASH/c"
    if [ "$what" = probe ]; then
      timed "$probe" clone "$GIT_DAEMON_URL/r.git" "$TRASH/c"
    else
      timed git clone -q --bare "$GIT_DAEMON_URL/r.git" "$TRASH/c"
    fi
  done | median | xargs printf "clone over git:// (%s): %s s\n" "$what"
done

for what in probe libgit2-alone git; do
  for i in $(seq 1 "$runs"); do
    rm -rf "$TRASH/srv/empty.git"
    git init -q --bare "$TRASH/srv/empty.git"
    if [ "$what" = probe ]; then
      timed "$probe" push "$src" "$GIT_DAEMON_URL/empty.git" refs/heads/main:refs/heads/main
    elif [ "$what" = libgit2-alone ]; then
      PROBE_NO_CALLBACKS=1 timed "$probe" push "$src" "$GIT_DAEMON_URL/empty.git" \
        refs/heads/main:refs/heads/main
    else
      timed git --git-dir "$src" push -q "$GIT_DAEMON_URL/empty.git" refs/heads/main:refs/heads/main
    fi
  done | median | xargs printf "push of every version over git:// (%s): %s s\n" "$what"
done
