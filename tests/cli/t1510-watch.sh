#!/usr/bin/env bash
# watch: every version written by other processes, once, in history order;
# resuming with --since; --doc, --path and --perspective narrow it; Ctrl-C
# and a closed pipe end it with exit 0.
. "$(dirname "$0")/lib.sh"

N=50  # versions per writer

new_repo r >/dev/null
strata put .perspectives - >/dev/null <<-\EOT
	{"perspectives": {"one": {"docs": ["doc1"], "rules": [{"path": "/**", "action": "show"},
	                                                      {"path": "/secret", "action": "hide"}]}}}
	EOT
strata set base /v 0 >/dev/null
cd "$TRASH"

# The watcher runs without the `strata` wrapper's timeout (it would end it
# early) and is stopped by the test; the wait for its output is bounded.
# start_watch NAME ARGS...: runs `strata watch ARGS` in the background,
# output in NAME.out, errors in NAME.err, its pid in NAME.pid.
start_watch() {
  local name=$1
  shift
  "$STRATA" watch "$@" >"$name.out" 2>"$name.err" &
  echo $! >"$name.pid"
}
# wait_lines FILE N: until FILE has N lines (at most 120 s; a bound, not a clock).
wait_lines() {
  local i
  for i in $(seq 1200); do
    [ "$(wc -l <"$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "$1 has $(wc -l <"$1") lines, not $2" >&2
  return 1
}
# stop_watch NAME SIGNAL: sends SIGNAL and expects exit 0 and nothing on stderr.
stop_watch() {
  local pid rc=0
  pid=$(cat "$1.pid")
  kill -s "$2" "$pid"
  wait "$pid" || rc=$?
  expect_eq 0 "$rc" "watch's exit status after SIG$2"
  expect_eq "" "$(cat "$1.err")" "watch's stderr"
}
# ids FILE: the "id" of every JSON line of FILE.
ids() { python3 -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1])]' "$1"; }
# writer K: N versions, alternating between its own document and one all share.
writer() {
  local k=$1 i
  for i in $(seq $N); do
    if [ $((i % 2)) -eq 0 ]; then
      strata set "doc$k" /v "$i" >/dev/null
    else
      strata set shared "/w$k" "$i" >/dev/null
    fi
  done
}

test_expect_success 'watch --json sees every version of 4 concurrent writers once, in order' '
  cd r
  first=$(sgit rev-parse main)
  echo "$first" >../first
  start_watch ../all --json --since "$first"
  pids=""
  for k in 1 2 3 4; do
    writer $k &
    pids="$pids $!"
  done
  for p in $pids; do wait "$p"; done
  expect_eq $((4 * N)) "$(sgit rev-list --count "$first"..main)"
  wait_lines ../all.out $((4 * N))
  stop_watch ../all INT
  ids ../all.out >seen
  sgit rev-list --reverse "$first"..main >expect
  expect_files_eq expect seen
  expect_eq $((4 * N)) "$(sort -u seen | wc -l)"
'

test_expect_success 'each --json line is the version as log --json prints it' '
  cd r
  python3 - ../all.out <<-\EOT
	import json, subprocess, sys
	log = json.loads(subprocess.check_output(
	    ["bash", "-c", "\"$STRATA\" log --json --reverse $(cat ../first)..main"]))
	lines = [json.loads(l) for l in open(sys.argv[1])]
	assert lines == log, (len(lines), len(log))
	EOT
'

test_expect_success 'resume: killed mid-stream, restarted with --since the last id: no gap, no repeat' '
  cd r
  from=$(sgit rev-parse main)
  start_watch ../a --json --since "$from"
  writer 1 &
  w=$!
  wait_lines ../a.out 5
  kill -KILL "$(cat ../a.pid)"
  wait "$(cat ../a.pid)" || true
  # The last line may be cut short by the kill: resume after the last whole one.
  python3 -c "import sys; t=open(sys.argv[1]).read(); open(sys.argv[2],\"w\").write(t[:t.rfind(\"\n\")+1])" ../a.out a.whole
  ids a.whole >seen
  last=$(tail -n 1 seen)
  wait "$w"
  start_watch ../b --json --since "$last"
  writer 2
  expect_eq $((2 * N)) "$(sgit rev-list --count "$from"..main)"
  wait_lines ../b.out $((2 * N - $(wc -l <seen)))
  stop_watch ../b TERM
  ids ../b.out >>seen
  sgit rev-list --reverse "$from"..main >expect
  expect_files_eq expect seen
'

test_expect_success 'text output is log --oneline; with -p, log -p --oneline' '
  cd r
  first=$(cat ../first)
  start_watch ../t --since "$first"
  wait_lines ../t.out "$(sgit rev-list --count "$first"..main)"
  stop_watch ../t INT
  strata log --oneline --reverse "$first"..main >expect
  expect_files_eq expect ../t.out
  from=$(sgit rev-parse main~3)
  strata log -p --oneline --reverse "$from"..main >expect
  expect_eq 3 "$(grep -c "^[0-9a-f]\{12\} " expect)"
  start_watch ../p -p --since "$from"
  wait_lines ../p.out "$(wc -l <expect)"
  stop_watch ../p INT
  expect_files_eq expect ../p.out
'

test_expect_success '--doc and --path narrow it as log does' '
  cd r
  first=$(cat ../first)
  start_watch ../d --json --since "$first" --doc doc3
  start_watch ../q --json --since "$first" --path shared:/w2 --path doc1:/v
  strata log --json --reverse --doc doc3 "$first"..main | jpath "\"\\n\".join(v[\"id\"] for v in d)" >expect.d
  strata log --json --reverse --path shared:/w2 --path doc1:/v "$first"..main |
    jpath "\"\\n\".join(v[\"id\"] for v in d)" >expect.q
  expect_eq $((N / 2)) "$(wc -l <expect.d)"
  expect_eq $((2 * N)) "$(wc -l <expect.q)"  # writers 1 and 2 ran twice
  wait_lines ../d.out $((N / 2))
  wait_lines ../q.out $((2 * N))
  # One more version that neither selects, then one that both do.
  strata set doc4 /v 1001 >/dev/null
  strata set doc1 /v 1002 >/dev/null
  strata set doc3 /v 1003 >/dev/null
  strata set shared /w2 1004 >/dev/null
  sgit rev-parse main~2 >>expect.q
  sgit rev-parse main~1 >>expect.d
  sgit rev-parse main >>expect.q
  wait_lines ../d.out $((N / 2 + 1))
  wait_lines ../q.out $((2 * N + 2))
  stop_watch ../d INT
  stop_watch ../q INT
  ids ../d.out >seen.d
  ids ../q.out >seen.q
  expect_files_eq expect.d seen.d
  expect_files_eq expect.q seen.q
'

test_expect_success '--perspective: versions that change nothing it shows are left out; -p filtered' '
  cd r
  from=$(sgit rev-parse main)
  start_watch ../v --json -p --perspective one --since "$from"
  strata set doc2 /v 2001 >/dev/null
  strata set doc1 /secret 2002 >/dev/null
  strata put doc1 - >/dev/null <<<"{\"v\": \"shown\", \"secret\": \"s2\"}"
  shown=$(sgit rev-parse main)
  strata set doc1 /v 2003 >/dev/null
  last=$(sgit rev-parse main)
  wait_lines ../v.out 2
  stop_watch ../v INT
  ids ../v.out >seen
  printf "%s\n" "$shown" "$last" >expect
  expect_files_eq expect seen
  expect_eq "1 replace /doc1/v shown" \
    "$(head -n 1 ../v.out | jpath "\" \".join(str(x) for x in [len(d[\"changes\"]), *[d[\"changes\"][0][k] for k in (\"op\", \"path\", \"value\")]])")"
  expect_no_match "s2|secret|doc2|2002" "$(cat ../v.out)"
'

test_expect_success 'a closed stdout ends watch quietly with exit 0' '
  cd r
  first=$(cat ../first)
  timeout 60 "$STRATA" watch --json --since "$first" 2>err | head -n 1 >one
  expect_eq "0 0" "${PIPESTATUS[*]}"
  expect_eq "" "$(cat err)"
  expect_eq "$(sgit rev-list --reverse "$first"..main | head -n 1)" "$(ids one)"
  # Nothing to print: the closed pipe is noticed while waiting.
  timeout 60 "$STRATA" watch 2>err | true
  expect_eq "0 0" "${PIPESTATUS[*]}"
  expect_eq "" "$(cat err)"
'

test_expect_success 'a branch created later is waited for; --branch follows it' '
  cd r
  start_watch ../nb --json --branch team/new
  strata set doc1 /v 3001 >/dev/null
  strata branch team/new >/dev/null
  strata set doc9 /v 3002 --branch team/new >/dev/null
  wait_lines ../nb.out "$(sgit rev-list --count team/new)"
  stop_watch ../nb INT
  ids ../nb.out >seen
  sgit rev-list --reverse team/new >expect
  expect_files_eq expect seen
'

test_expect_success 'versions pushed from a clone (objects arriving as another process sends them)' '
  cd r
  from=$(sgit rev-parse main)
  start_watch ../pushed --json --since "$from"
  strata clone "$TRASH/r" ../c >/dev/null
  cd ../c
  for i in 1 2 3; do strata set doc7 /v "$i" >/dev/null; done
  strata push >/dev/null
  cd ../r
  expect_eq "$(git --git-dir ../c/.strata rev-parse main)" "$(sgit rev-parse main)"
  wait_lines ../pushed.out 3
  stop_watch ../pushed INT
  ids ../pushed.out >seen
  sgit rev-list --reverse "$from"..main >expect
  expect_files_eq expect seen
'

test_expect_success 'errors: an unknown --since, a bad --path, a bad branch name' '
  cd r
  expect_fail 1 strata watch --since nope
  expect_match "nope" "$(err)"
  expect_fail 2 strata watch --path "doc1:/x~2"
  expect_match "doc1:/x~2" "$(err)"
  expect_fail 2 strata watch --path doc1
  expect_fail 1 strata watch --branch "bad..name"
  expect_match "bad..name" "$(err)"
  expect_fail 1 strata watch --perspective nope
  expect_match "nope" "$(err)"
'

test_done
