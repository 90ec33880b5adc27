#!/usr/bin/env bash
# The pager (log, show, diff, tag, blame, history on a terminal) and
# "did you mean" for unknown commands and options.
. "$(dirname "$0")/lib.sh"

new_repo r >/dev/null
echo 1 | strata put d - -m first >/dev/null
echo 2 | strata put d - -m second >/dev/null
cd "$TRASH"

# A pager that records what it received, and its standard input's kind.
cat >"$TRASH/record-pager" <<'EOT'
#!/bin/sh
cat >"$TRASH/paged"
if [ -t 0 ]; then echo tty >"$TRASH/pager-stdin"; else echo pipe >"$TRASH/pager-stdin"; fi
echo "pager done"
EOT
chmod +x "$TRASH/record-pager"
export TRASH

test_expect_success 'on a terminal, log goes through $STRATA_PAGER (all of it, then it is waited for)' '
  need_tty
  cd r
  rm -f "$TRASH/paged"
  out=$(STRATA_PAGER="$TRASH/record-pager" on_tty "$STRATA" log --color never)
  expect_eq "pager done" "$out"
  expect_eq pipe "$(cat "$TRASH/pager-stdin")"
  expect_eq "$(strata log)" "$(cat "$TRASH/paged")"
'

test_expect_success '$PAGER is used when STRATA_PAGER is unset; STRATA_PAGER wins' '
  need_tty
  cd r
  rm -f "$TRASH/paged"
  out=$(env -u STRATA_PAGER PAGER="$TRASH/record-pager" python3 "$TEST_SRC_DIR/pty_run.py" "$STRATA" show --color never)
  expect_eq "pager done" "$out"
  expect_match "^version " "$(cat "$TRASH/paged")"
  rm -f "$TRASH/paged"
  out=$(STRATA_PAGER="$TRASH/record-pager" PAGER=false on_tty "$STRATA" diff HEAD~1 --color never)
  expect_eq "pager done" "$out"
  expect_eq "~ d  1 -> 2" "$(cat "$TRASH/paged")"
'

test_expect_success 'the default pager is less -FRX' '
  need_tty
  cd r
  mkdir -p "$TRASH/bin"
  printf "#!/bin/sh\necho \"\$*\" >\"\$TRASH/less-args\"\ncat >\"\$TRASH/paged\"\n" >"$TRASH/bin/less"
  chmod +x "$TRASH/bin/less"
  rm -f "$TRASH/paged"
  env -u PAGER PATH="$TRASH/bin:$PATH" python3 "$TEST_SRC_DIR/pty_run.py" "$STRATA" log >/dev/null
  expect_eq "-FRX" "$(cat "$TRASH/less-args")"
  expect_match "second" "$(cat "$TRASH/paged")"
'

test_expect_success 'no pager: --no-pager, STRATA_PAGER= or cat, not a terminal, other commands' '
  need_tty
  cd r
  rm -f "$TRASH/paged"
  expect_match "second" "$(STRATA_PAGER="$TRASH/record-pager" on_tty "$STRATA" --no-pager log)"
  expect_match "second" "$(STRATA_PAGER="$TRASH/record-pager" on_tty "$STRATA" log --no-pager)"
  expect_match "second" "$(STRATA_PAGER= PAGER="$TRASH/record-pager" on_tty "$STRATA" log)"
  expect_match "second" "$(STRATA_PAGER=cat on_tty "$STRATA" log)"
  expect_match "second" "$(STRATA_PAGER="$TRASH/record-pager" strata log)"
  expect_eq 2 "$(STRATA_PAGER="$TRASH/record-pager" on_tty "$STRATA" get d --color never)"
  test ! -e "$TRASH/paged"
'

test_expect_success 'colour is decided for the terminal, not the pipe to the pager' '
  need_tty
  cd r
  STRATA_PAGER="$TRASH/record-pager" on_tty "$STRATA" log >/dev/null
  expect_match "$(printf "\033")\[33m" "$(cat "$TRASH/paged")"
'

test_expect_success 'a pager that quits early is no error' '
  need_tty
  cd r
  python3 -c "import json; print(json.dumps({\"k%d\" % i: i for i in range(20000)}))" >big.json
  strata put big big.json >/dev/null
  # Far more than a pipe holds: strata is still writing when head quits.
  rc=0
  STRATA_PAGER="head -n 1" on_tty "$STRATA" diff HEAD~1 --format patch >out 2>&1 || rc=$?
  expect_eq 0 "$rc"
  expect_eq 1 "$(wc -l <out | tr -d " ")"
  expect_no_match "error" "$(cat out)"
'

test_expect_success 'unknown command: did you mean the nearest (exit 2)' '
  expect_fail 2 strata lgo
  expect_eq "strata: error: unknown command '"'"'lgo'"'"'; did you mean '"'"'log'"'"'?" "$(err)"
  expect_fail 2 strata dif
  expect_eq "strata: error: unknown command '"'"'dif'"'"'; did you mean '"'"'diff'"'"'?" "$(err)"
  expect_fail 2 strata shwo
  expect_match "did you mean '"'"'show'"'"'\?$" "$(err)"
  expect_fail 2 strata help lgo
  expect_match "did you mean '"'"'log'"'"'\?$" "$(err)"
  expect_fail 2 strata frobnicate
  expect_eq "strata: error: unknown command '"'"'frobnicate'"'"' (see '"'"'strata --help'"'"')" "$(err)"
'

test_expect_success 'unknown option: did you mean the nearest (exit 2)' '
  cd r
  snapshot_repo
  expect_fail 2 strata put d --mesage hi
  expect_eq "strata: error: unrecognised option '"'"'--mesage'"'"'; did you mean '"'"'--message'"'"'?" "$(err)"
  expect_fail 2 strata log --jsn
  expect_match "did you mean '"'"'--json'"'"'\?$" "$(err)"
  expect_fail 2 strata diff A --fromat patch
  expect_match "did you mean '"'"'--format'"'"'\?$" "$(err)"
  expect_fail 2 strata log --zzzzzzzz
  expect_match "unrecognised option '"'"'--zzzzzzzz'"'"' \(see '"'"'strata log --help'"'"'\)$" "$(err)"
  expect_repo_unchanged
'

test_done
