#!/bin/bash
# strata import (CLI) of one JSON Lines file with two builds, BEFORE and
# AFTER, against git's fastest path on the same data (fast-import of the
# blobs, update-index --index-info, write-tree, commit-tree, update-ref, as
# strata_bench does it; core.fsync=committed). One warm-up round, then RUNS
# rounds, interleaved; prints one line per timed run: "before|after|git SECONDS".
#
# usage: BEFORE=path/to/strata AFTER=path/to/strata bench/import_vs_git.sh FILE.jsonl GITDIR RUNS
#   GITDIR holds `stream` (a fast-import stream of blobs with marks :1..:N) and
#   `paths` (line N: the path of blob :N); made first if absent (not timed):
#   a file ID.json per document, its JSON on one line, or, for a file of one
#   document, one key per line (strata_bench's "keys").
#   WORK (default /tmp) is where repositories are made.
set -e
F=$(realpath "$1"); GF=$(realpath "$2"); RUNS=$3
W=${WORK:-/tmp}
: "${BEFORE:?set BEFORE}" "${AFTER:?set AFTER}"
if [ ! -f "$GF/stream" ]; then
  /usr/bin/python3 - "$F" "$GF" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
docs = [json.loads(line) for line in open(src) if line.strip()]
with open(out + "/stream", "wb") as s, open(out + "/paths", "w") as p:
    for n, o in enumerate(docs, 1):
        if len(docs) == 1 and isinstance(o["doc"], dict):
            body = "{\n" + ",\n".join(json.dumps(k) + ": " + json.dumps(v, separators=(",", ":"))
                                       for k, v in o["doc"].items()) + "\n}\n"
        else:
            body = json.dumps(o["doc"], separators=(",", ":")) + "\n"
        b = body.encode()
        s.write(b"blob\nmark :%d\ndata %d\n" % (n, len(b)) + b + b"\n")
        p.write(o["id"] + ".json\n")
PY
fi
now() { date +%s.%N; }
strata_run() {
  rm -rf "$W/ivg" && "$1" init "$W/ivg" >/dev/null
  local s=$(now)
  (cd "$W/ivg" && "$1" import "$F" -m import --date @1700000000 >/dev/null)
  echo "$(now) - $s" | bc
}
git_run() {
  local g="$W/ivg.git"
  rm -rf "$g" && git init -q --bare -b main "$g" && git --git-dir="$g" config core.fsync committed
  local s=$(now)
  git --git-dir="$g" fast-import --quiet --export-marks="$W/ivg.marks" <"$GF/stream"
  local t1=$(echo "$(now) - $s" | bc)
  awk 'NR==FNR{p[NR]=$0;next}{print "100644 " $2 "\t" p[substr($1,2)]}' "$GF/paths" "$W/ivg.marks" >"$W/ivg.info"
  s=$(now)
  export GIT_DIR="$g" GIT_INDEX_FILE="$g/bench-index" GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
    GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
  git update-index --add --index-info <"$W/ivg.info"
  git update-ref refs/heads/main "$(git commit-tree "$(git write-tree)" -m import)"
  unset GIT_DIR GIT_INDEX_FILE
  echo "$(now) - $s + $t1" | bc
}
strata_run "$BEFORE" >/dev/null; strata_run "$AFTER" >/dev/null; git_run >/dev/null
for i in $(seq "$RUNS"); do
  echo "before $(strata_run "$BEFORE")"
  echo "after $(strata_run "$AFTER")"
  echo "git $(git_run)"
done
rm -rf "$W/ivg" "$W/ivg.git" "$W/ivg.marks" "$W/ivg.info"
