#!/usr/bin/env bash
# Bash completion (cli/strata-completion.bash): sourced here, its function
# called as bash calls it (COMP_WORDS, COMP_CWORD), COMPREPLY checked
# exactly: commands, options, branches, remotes, perspectives, document ids,
# DOC@REV, --repo; and `strata __complete`, which it reads.
. "$(dirname "$0")/lib.sh"

# shellcheck source=../../cli/strata-completion.bash
. "$TEST_SRC_DIR/../../cli/strata-completion.bash"

# complete_line WORD...: COMPREPLY for the last word, one per line, sorted
# (`strata` is lib.sh's function running $STRATA).
complete_line() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _strata
  if [ ${#COMPREPLY[@]} -gt 0 ]; then printf '%s\n' "${COMPREPLY[@]}" | sort; fi
}
lines() { printf '%s\n' "$@"; }

cat >"$TRASH/perspectives.json" <<'EOF'
{"perspectives": {
  "public": {"docs": ["config/**"], "rules": [{"path": "/**", "action": "show"}]},
  "partner": {"extends": "public", "rules": [{"path": "/db/**", "action": "hide"}]}
}}
EOF
new_repo site-b >/dev/null
cd "$TRASH"
new_repo r >/dev/null
echo '{"db": {"pool": 10}}' | strata put config/app1 - >/dev/null
echo '{"db": {"pool": 20}}' | strata put config/app2 - >/dev/null
echo '{"user": "u42"}' | strata put sessions/u42 - >/dev/null
strata put .perspectives "$TRASH/perspectives.json" >/dev/null
strata branch experiment >/dev/null
strata branch exp-pool >/dev/null
strata tag v1.0 >/dev/null
strata remote add origin "$TRASH/site-b" >/dev/null
strata remote add backup "$TRASH/site-b" >/dev/null
cd "$TRASH"

test_expect_success 'the command word: commands by prefix; global options' '
  cd r
  expect_eq "$(lines merge)" "$(complete_line strata me)"
  expect_eq "$(lines patch perspective prune pull push put)" "$(complete_line strata p)"
  expect_eq "$(lines --no-pager)" "$(complete_line strata --no)"
  expect_eq "$(lines -V)" "$(complete_line strata -V)"
  expect_eq "$(lines --version)" "$(complete_line strata --vers)"
  all=$(complete_line strata "")
  expect_eq "$(strata __complete commands | sort)" "$all"
  expect_match "^worktree\$" "$all"
'

test_expect_success 'options of the command, as --help lists them' '
  cd r
  expect_eq "$(lines --all-labels --author)" "$(complete_line strata log --a)"
  expect_eq "$(lines --message)" "$(complete_line strata set config/app1 --mess)"
  expect_eq "$(lines --strategy)" "$(complete_line strata merge --str)"
'

test_expect_success 'branches for switch, merge, branch -d, --branch' '
  cd r
  expect_eq "$(lines exp-pool experiment)" "$(complete_line strata switch ex)"
  expect_eq "$(lines experiment)" "$(complete_line strata merge exper)"
  expect_eq "$(lines exp-pool experiment)" "$(complete_line strata branch -d ex)"
  expect_eq "$(lines main)" "$(complete_line strata set config/app1 /db/pool 3 --branch m)"
  expect_eq "" "$(complete_line strata branch ex)"
'

test_expect_success 'remotes for fetch, pull, push and remote remove' '
  cd r
  expect_eq "$(lines backup origin)" "$(complete_line strata fetch "")"
  expect_eq "$(lines origin)" "$(complete_line strata push o)"
  expect_eq "$(lines backup)" "$(complete_line strata pull --json b)"
  expect_eq "$(lines origin)" "$(complete_line strata remote remove or)"
  expect_eq "$(lines remove)" "$(complete_line strata remote rem)"
'

test_expect_success 'perspectives for --perspective and perspective show' '
  cd r
  expect_eq "$(lines partner public)" "$(complete_line strata get config/app1 --perspective p)"
  expect_eq "$(lines public)" "$(complete_line strata perspective show pu)"
'

test_expect_success 'document ids for get, set, rm, history, blame, edit and put' '
  cd r
  expect_eq "$(lines config/app1 config/app2)" "$(complete_line strata get con)"
  for c in set rm history blame edit put; do
    expect_eq "$(lines sessions/u42)" "$(complete_line strata $c s)" "$c"
  done
  # Options and their values are not arguments: the document is still the first.
  expect_eq "$(lines config/app2)" "$(complete_line strata set -m x --json config/app2)"
  # The second argument of get is a pointer: nothing to offer.
  expect_eq "" "$(complete_line strata get config/app1 /d)"
  # Through a perspective: only the documents it shows.
  expect_eq "$(lines config/app1 config/app2)" \
    "$(complete_line strata get --perspective public "")"
'

test_expect_success 'DOC@REV completes the revision: branches and tags' '
  cd r
  expect_eq "$(lines config/app1@exp-pool config/app1@experiment)" \
    "$(complete_line strata get config/app1@ex)"
  expect_eq "$(lines config/app1@v1.0)" "$(complete_line strata get config/app1@v)"
'

test_expect_success '--repo on the line: completion reads that repository, from anywhere' '
  expect_eq "$(lines config/app1 config/app2)" "$(complete_line strata --repo r get c)"
  expect_eq "$(lines origin)" "$(complete_line strata push --repo r o)"
  # Outside any repository: nothing, and nothing printed.
  expect_eq "" "$(complete_line strata get c 2>&1)"
'

test_expect_success '__complete: one word a line; value-taking options end in =' '
  cd r
  opts=$(strata __complete options log)
  expect_match "^--max-count=\$" "$opts"
  expect_match "^-n=\$" "$opts"
  expect_match "^--reverse\$" "$opts"
  expect_eq "$(lines backup origin)" "$(strata __complete remotes)"
  expect_eq "$(lines exp-pool experiment main)" "$(strata __complete branches)"
  expect_eq "$(lines exp-pool experiment main v1.0)" "$(strata __complete refs)"
  expect_eq "$(lines .perspectives config/app1 config/app2 sessions/u42)" \
    "$(strata __complete docs)"
  expect_eq "$(lines partner public)" "$(strata __complete perspectives --perspective public)"
  rc=0
  strata __complete docs --repo "$TRASH/nowhere" >out.txt 2>err.txt || rc=$?
  expect_eq 1 "$rc"
  expect_eq "" "$(cat out.txt err.txt)"
'

test_done
