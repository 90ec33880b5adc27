# Shared by the perspective tests (t07NN-perspective-*.sh), sourced after
# lib.sh: a repository with three secrets planted under the issue 8
# perspectives, and assertions that none of them leaves it.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$TEST_SRC_DIR/perspective-lib.sh"
#   plant r >/dev/null
#   test_expect_success 'get' 'cd r; through public get config/app; ...'
unset STRATA_PERSPECTIVE

# --- what must not leak, and what must show -----------------------------------
# Every secret string contains "hush"; the owner is shown to detailed (and
# editor) but hidden from public. Every value public sees contains "okvis".
secrets_re() {
  case "$1" in
  public) echo 'hush|detailOwn' ;;
  *) echo 'hush' ;;
  esac
}

# assert_no_secrets P FILE...: no line of any FILE holds a secret of
# perspective P (matched case-insensitively).
assert_no_secrets() {
  local p=$1 re f bad=0
  re=$(secrets_re "$p")
  shift
  for f in "$@"; do
    if grep -Eiq -- "$re" "$f"; then
      echo "FAIL: a secret of perspective '$p' leaked into $(basename "$f"):"
      grep -Ein -- "$re" "$f" | cut -c 1-200 | sed 's/^/  | /'
      bad=1
    fi
  done
  return "$bad"
}

# through P ARGS...: `strata ARGS... --perspective P`, which must exit 0 and
# print no secret of P on stdout or stderr. stdout is left in $TRASH/.pout,
# stderr in $TRASH/.perr.
through() {
  local p=$1 rc=0
  shift
  strata "$@" --perspective "$p" >"$TRASH/.pout" 2>"$TRASH/.perr" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL: 'strata $* --perspective $p' exited $rc; stderr:"
    sed 's/^/  | /' "$TRASH/.perr"
    return 1
  fi
  assert_no_secrets "$p" "$TRASH/.pout" "$TRASH/.perr" || {
    echo "  (from: strata $* --perspective $p)"
    return 1
  }
}
pout() { cat "$TRASH/.pout"; }

# same_as_missing P HIDDEN MISSING ARGS...: a read. Runs ARGS (each _X_ in
# them replaced by HIDDEN, then by MISSING) through P. A hidden name must
# answer exactly as a missing one: the same exit code (0 or 1, never a usage
# error), and the same stdout and stderr once each run's name is written
# <name>. Nothing else of the hidden run may hold a secret. Through editor,
# HIDDEN does answer otherwise (so the comparison can fail).
same_as_missing() {
  compare_hidden_missing "$@"
  local p=$1 hidden=$2 missing=$3 x
  shift 3
  local a=()
  for x in "$@"; do a+=("${x//_X_/$hidden}"); done
  local rc=0 seen
  strata "${a[@]}" --perspective editor >"$TRASH/.e.out" 2>"$TRASH/.e.err" || rc=$?
  seen="$rc $(cat "$TRASH/.e.out" "$TRASH/.e.err")"
  seen=${seen//"$hidden"/<name>}
  expect_ne "$(cat "$TRASH/.m.all")" "$seen" "'${a[*]}' through editor answers as if missing"
}

# same_refusal P HIDDEN MISSING ARGS...: a write, refused (exit 1) alike for
# the hidden name and the missing one, as same_as_missing compares them.
same_refusal() {
  compare_hidden_missing "$@"
  expect_eq 1 "$(cut -d " " -f 1 "$TRASH/.m.all" | head -n 1)" "exit code of the refused write"
}

# The comparison both share; leaves "RC STDOUT STDERR" of the missing run,
# names written <name>, in $TRASH/.m.all.
compare_hidden_missing() {
  local p=$1 hidden=$2 missing=$3 x rc_h=0 rc_m=0
  shift 3
  local a=() b=()
  for x in "$@"; do
    a+=("${x//_X_/$hidden}")
    b+=("${x//_X_/$missing}")
  done
  strata "${a[@]}" --perspective "$p" >"$TRASH/.h.out" 2>"$TRASH/.h.err" || rc_h=$?
  strata "${b[@]}" --perspective "$p" >"$TRASH/.m.out" 2>"$TRASH/.m.err" || rc_m=$?
  case "$rc_m" in
  0 | 1) ;;
  *)
    echo "FAIL: 'strata ${b[*]} --perspective $p' exited $rc_m:"
    sed 's/^/  | /' "$TRASH/.m.err"
    return 1
    ;;
  esac
  expect_eq "$rc_m" "$rc_h" "exit code of '${a[*]}' (hidden) vs '${b[*]}' (missing) through $p"
  local h m
  for x in out err; do
    h=$(cat "$TRASH/.h.$x")
    m=$(cat "$TRASH/.m.$x")
    h=${h//"$hidden"/<name>}
    m=${m//"$missing"/<name>}
    expect_eq "$m" "$h" "std$x of '${a[*]}' (hidden) vs '${b[*]}' (missing) through $p"
    printf '%s\n' "$h" >"$TRASH/.h.$x.named"
  done
  assert_no_secrets "$p" "$TRASH/.h.out.named" "$TRASH/.h.err.named"
  m="$rc_m $(cat "$TRASH/.m.out" "$TRASH/.m.err")"
  printf '%s' "${m//"$missing"/<name>}" >"$TRASH/.m.all"
}

# --- the repository ------------------------------------------------------------
# The issue's three perspectives, plus rules for arrays: public hides each
# user's token and the second of the hosts (so the others close up); editor
# shows them again.
cat >"$TRASH/perspectives.json" <<'EOT'
{"perspectives": {
  "public":   {"docs": ["config/**", "!config/internal/**"],
               "rules": [{"path": "/**", "action": "show"},
                         {"path": "/secrets/**", "action": "hide"},
                         {"path": "/db/password", "action": "mask"},
                         {"path": "/users/*/token", "action": "hide"},
                         {"path": "/hosts/1", "action": "hide"}]},
  "detailed": {"extends": "public", "rules": [{"path": "/secrets/owner", "action": "show"}]},
  "editor":   {"extends": "detailed", "docs": ["**"],
               "rules": [{"path": "/secrets/**", "action": "show"},
                         {"path": "/db/password", "action": "show"},
                         {"path": "/users/**", "action": "show"},
                         {"path": "/hosts/**", "action": "show"}]}
}}
EOT

# plant DIR: twelve versions, one a day from 2026-01-01 (v1 .. v12), each
# with a message of its own that names no secret. The hidden key name
# (hushKeyNm) and the hidden document's id (hushDocId) are secrets too.
# Values are written in small steps, so that human output (which cuts long
# values at 72 characters) would show each secret if it were not filtered.
plant() {
  new_repo "$1"
  strata put .perspectives "$TRASH/perspectives.json" -m "define perspectives" --date 2026-01-01T12:00:00Z
  strata put config/app - -m "create app" --date 2026-01-02T12:00:00Z <<<'{"name":"okvisName1"}'
  strata set config/app /db '{"host":"okvisHost","password":"hushDbPassOld"}' -m "add db" \
    --date 2026-01-03T12:00:00Z
  strata set config/app /secrets '{"apikey":"hushApiOld","hushKeyNm":1,"owner":"detailOwn"}' \
    -m "add secrets" --date 2026-01-04T12:00:00Z
  strata set config/app /users '[{"name":"okvisAnn","token":"hushTokAnn"}]' -m "add users" \
    --date 2026-01-05T12:00:00Z
  strata put config/internal/hushDocId - -m "add internal" --date 2026-01-06T12:00:00Z \
    <<<'{"token":"hushDocTokOld"}'
  strata put config/site - -m "add site" --date 2026-01-07T12:00:00Z \
    <<<'{"hosts":["okvisH0","hushHost1","okvisH2"],"title":"okvisTitle"}'
  strata tag old
  strata set config/app /secrets/apikey '"hushApiNew"' -m "rotate api key" --date 2026-01-08T12:00:00Z
  strata set config/app /db/password '"hushDbPassNew"' -m "rotate db password" \
    --date 2026-01-09T12:00:00Z
  strata set config/internal/hushDocId /token '"hushDocTokNew"' -m "rotate internal token" \
    --date 2026-01-10T12:00:00Z
  strata set config/app /users/- '{"name":"okvisBob","token":"hushTokBob"}' -m "add bob" \
    --date 2026-01-11T12:00:00Z
  strata set config/app /name '"okvisName2"' -m "rename app" --date 2026-01-12T12:00:00Z
}

# The stored state, and what each perspective sees of config/app.
APP_EDITOR='{"db":{"host":"okvisHost","password":"hushDbPassNew"},"name":"okvisName2","secrets":{"apikey":"hushApiNew","hushKeyNm":1,"owner":"detailOwn"},"users":[{"name":"okvisAnn","token":"hushTokAnn"},{"name":"okvisBob","token":"hushTokBob"}]}'
APP_PUBLIC='{"db":{"host":"okvisHost","password":"***"},"name":"okvisName2","users":[{"name":"okvisAnn"},{"name":"okvisBob"}]}'
APP_DETAILED='{"db":{"host":"okvisHost","password":"***"},"name":"okvisName2","secrets":{"owner":"detailOwn"},"users":[{"name":"okvisAnn"},{"name":"okvisBob"}]}'
SITE_PUBLIC='{"hosts":["okvisH0","okvisH2"],"title":"okvisTitle"}'
SITE_EDITOR='{"hosts":["okvisH0","hushHost1","okvisH2"],"title":"okvisTitle"}'
APP_PUBLIC_OLD='{"db":{"host":"okvisHost","password":"***"},"name":"okvisName1","users":[{"name":"okvisAnn"}]}'

