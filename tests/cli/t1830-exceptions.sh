#!/usr/bin/env bash
# Exceptions never end strata badly (issue 13): with one allocation of a
# command made to throw in turn (tests/faults/throw_shim.cc, an LD_PRELOAD
# shim), swept over the allocations `strata set` and `strata get` make:
#   - a std::runtime_error (a stand-in for a bug) ends the command with exit
#     70 and one line "strata: internal error... (please report this)",
#     whether the library caught it (Code::kInternal, "internal error in
#     Repository::...") or it reached the CLI's main; or with exit 1 and one
#     "strata: error:" line where a command handles it;
#   - a std::bad_alloc ends it with exit 1 and one "strata: error:" line;
#   - never a crash or an abort, and the repository still verifies, holding
#     the write whole or not at all.
. "$(dirname "$0")/lib.sh"

SHIM=${THROW_SHIM:-}
if [ -z "$SHIM" ] || [ ! -f "$SHIM" ]; then
  test_skip "exceptions" "no throw shim (Linux only, not with sanitizers)"
  test_done
fi

new_repo r >/dev/null
echo '{"a":1,"list":[1,2,3]}' | strata put d - >/dev/null
cd "$TRASH"

# sweep KIND CMD...: runs CMD with allocation N throwing, for N over every
# allocation it makes (a stride past the first 300); checks each run; prints
# the stderr lines it saw, one per run, to $TRASH/lines.
sweep() {
  local kind=$1 n total stride rc line
  shift
  rm -f "$TRASH/log"
  STRATA_THROW_AT=0 STRATA_THROW_LOG="$TRASH/log" LD_PRELOAD="$SHIM" "$STRATA" "$@" \
    >/dev/null 2>&1
  total=$(sed -n 's/^count //p' "$TRASH/log")
  [ -n "$total" ] && [ "$total" -gt 100 ] || { echo "no allocation count: $total"; return 1; }
  stride=$(((total - 300) / 100))
  [ "$stride" -ge 1 ] || stride=1
  : >"$TRASH/lines"
  n=1
  while [ "$n" -le "$total" ]; do
    rm -f "$TRASH/log"
    rc=0
    STRATA_THROW_AT=$n STRATA_THROW_KIND=$kind STRATA_THROW_LOG="$TRASH/log" \
      LD_PRELOAD="$SHIM" timeout 60 "$STRATA" "$@" >"$TRASH/.out" 2>"$TRASH/.err" || rc=$?
    if grep -q '^fired' "$TRASH/log" 2>/dev/null; then
      line=$(head -n 1 "$TRASH/.err")
      case "$kind:$rc" in
        runtime:70)
          text_matches '^strata: internal error.*injected fault.* \(please report this\)$' "$line" ||
            { echo "N=$n: exit 70 with: $(cat "$TRASH/.err")"; return 1; } ;;
        *:1)
          text_matches '^strata: error: ' "$line" ||
            { echo "N=$n: exit 1 with: $(cat "$TRASH/.err")"; return 1; } ;;
        *:0) ;;  # handled inside (a cache, a subscriber): the command still did its work
        *)
          echo "N=$n ($kind): exit $rc; stderr:"
          cat "$TRASH/.err"
          return 1 ;;
      esac
      if [ "$rc" -ne 0 ] && [ "$(wc -l <"$TRASH/.err")" -ne 1 ]; then
        echo "N=$n: stderr is not one line:"
        cat "$TRASH/.err"
        return 1
      fi
      echo "$rc $line" >>"$TRASH/lines"
    elif [ "$rc" -ne 0 ]; then
      echo "N=$n: exit $rc without the fault firing: $(cat "$TRASH/.err")"
      return 1
    fi
    strata verify >/dev/null || { echo "N=$n: verify failed after the run"; return 1; }
    n=$((n < 300 ? n + 1 : n + stride))
  done
}

test_expect_success 'a throwing allocation in set: exit 70 or 1, one line, the write whole or not at all' '
  cd r
  sweep runtime set d /b 2
  grep -q "^70 strata: internal error in Repository::" "$TRASH/lines"
  grep -q "^70 strata: internal error: injected fault (please report this)$" "$TRASH/lines"
  v=$(strata get d /a)
  expect_eq 1 "$v"
  b=$(strata get d /b 2>/dev/null || echo absent)
  text_matches "^(2|absent)$" "$b"
'

test_expect_success 'bad_alloc in set and get: exit 1 saying out of memory, never 70' '
  cd r
  sweep bad_alloc set d /c 3
  ! grep -q "^70 " "$TRASH/lines"
  grep -q "^1 strata: error: .*out of memory" "$TRASH/lines"
  sweep bad_alloc get d /list
  ! grep -q "^70 " "$TRASH/lines"
  grep -q "^1 strata: error: .*out of memory" "$TRASH/lines"
'

test_done
