#!/usr/bin/env bash
# Writers on one branch: N processes each write M versions with `strata set`,
# (a) each to its own value of one document, (b) all to the same value; and,
# as the baseline, one process writing the same N*M versions in a row.
# Prints wall time, versions per second, refused writes, and the ratio of
# concurrent to serial throughput (how much the write lock and the replays
# cost, or save). Nothing here asserts a time.
#
#   bench/contention.sh                  # N=8 M=50, the binary in build/
#   N=4 M=100 STRATA=build-bench/cli/strata bench/contention.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
strata=${STRATA:-$root/build/cli/strata}
n=${N:-8}
m=${M:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export STRATA_AUTHOR="bench <bench@example.com>"

now() { date +%s.%N; }
calc() { awk "BEGIN {print $1}"; }

# run NAME POINTER_TEMPLATE: N writers x M sets; prints seconds and refusals.
run() {
  local dir=$work/$1 template=$2 start end
  mkdir -p "$dir"
  "$strata" init "$dir" >/dev/null
  "$strata" --repo "$dir" set doc /init 0 >/dev/null
  start=$(now)
  for w in $(seq "$n"); do
    (
      fails=0
      for i in $(seq "$m"); do
        "$strata" --repo "$dir" set doc "${template//W/$w}" "$((w * 1000 + i))" >/dev/null 2>&1 ||
          fails=$((fails + 1))
      done
      echo "$fails" >"$dir/fails.$w"
    ) &
  done
  wait
  end=$(now)
  # Every write changes the value, so written + refused = N*M.
  echo "$(calc "$end - $start") $(cat "$dir"/fails.* | awk '{s += $1} END {print s}')" \
    "$(($(git --git-dir "$dir/.strata" rev-list --count main) - 1))"
}

serial() {
  local dir=$work/serial start end
  mkdir -p "$dir"
  "$strata" init "$dir" >/dev/null
  "$strata" --repo "$dir" set doc /init 0 >/dev/null
  start=$(now)
  for i in $(seq $((n * m))); do "$strata" --repo "$dir" set doc /v "$i" >/dev/null; done
  end=$(now)
  calc "$end - $start"
}

total=$((n * m))
read -r t_serial <<<"$(serial)"
read -r t_diff f_diff w_diff <<<"$(run different /kW)"
read -r t_same f_same w_same <<<"$(run same /v)"
rate() { printf "%.0f" "$(calc "$total / $1")"; }
ratio() { printf "%.2f" "$(calc "$t_serial / $1")"; }
echo "| case | writers x writes | wall | writes/s | versions written | refused | vs one writer in a row |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf "| one writer in a row | 1 x %d | %.2f s | %s | %d | 0 | 1.00x |\n" "$total" "$t_serial" \
  "$(rate "$t_serial")" "$total"
printf "| different values of one document | %d x %d | %.2f s | %s | %d | %d | %sx |\n" "$n" "$m" \
  "$t_diff" "$(rate "$t_diff")" "$w_diff" "$f_diff" "$(ratio "$t_diff")"
printf "| the same value | %d x %d | %.2f s | %s | %d | %d | %sx |\n" "$n" "$m" "$t_same" \
  "$(rate "$t_same")" "$w_same" "$f_same" "$(ratio "$t_same")"
