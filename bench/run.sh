#!/usr/bin/env bash
# Installs what the benchmarks need, builds them in Release, runs them all and
# writes the figures (Markdown and JSON) to $OUT (default build-bench/results).
#
#   bench/run.sh                      # sizes 10k,100k,1m: a few minutes on 2 cores
#   SIZES=10k,100k bench/run.sh       # a CI-sized run
#   RUNS=3 OUT=/tmp/figures bench/run.sh
#   MEMORY_SIZES="20 100" bench/run.sh  # input sizes (MB) for bench/memory.sh
#
# Nothing here asserts a time; strata_bench exits non-zero only if a one-field
# version breaks the bound of 32 objects / 256 KiB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
out=${OUT:-$build/results}
sizes=${SIZES:-10k,100k,1m}
runs=${RUNS:-5}
workdir=${WORKDIR:-${TMPDIR:-/tmp}/strata-bench.$$}

# --- dependencies: the project's packages, then the peers: node (fast-json-patch,
# jsondiffpatch), Debian's python3-jsonpatch, and what the seed's design needs
# (pyrsistent, marshmallow, blinker), for Debian's /usr/bin/python3.
"$root/scripts/install-deps.sh"
peers=()
command -v node >/dev/null && command -v npm >/dev/null || peers+=(nodejs npm)
/usr/bin/python3 -c 'import jsonpatch' 2>/dev/null || peers+=(python3-jsonpatch)
/usr/bin/python3 -c 'import pyrsistent, marshmallow, blinker' 2>/dev/null ||
  peers+=(python3-pyrsistent python3-marshmallow python3-blinker)
if [ ${#peers[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${peers[@]}"
fi
(cd "$root/bench/node" && npm ci --no-audit --no-fund --silent)

# --- build (Release, in its own folder so a debug build is left alone).
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target strata strata_gen strata_bench patch_bench seed_bench storage_bench \
  delta_dict_bench deflate_bench libgit2_floor -j "$(nproc)"

mkdir -p "$out" "$workdir"
trap 'rm -rf "$workdir"' EXIT

# --- where and when.
{
  echo "# strata benchmark figures"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- objects repo 2>/dev/null || echo ' (objects/ or repo/ modified)')"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "- git $(git --version | cut -d' ' -f3), node $(node --version), fast-json-patch $(node -p "require('$root/bench/node/node_modules/fast-json-patch/package.json').version"), jsondiffpatch $(node -p "require('$root/bench/node/node_modules/jsondiffpatch/package.json').version"), python3-jsonpatch $(/usr/bin/python3 -c 'import jsonpatch; print(jsonpatch.__version__)')"
  echo
} >"$out/figures.md"

# --- the generator is reproducible: the same seed gives the same bytes.
"$build/bench/strata_gen" --count 2000 --seed 7 --out "$workdir/gen1.jsonl"
"$build/bench/strata_gen" --count 2000 --seed 7 --out "$workdir/gen2.jsonl"
cmp -s "$workdir/gen1.jsonl" "$workdir/gen2.jsonl" || { echo "strata_gen is not reproducible" >&2; exit 1; }

# --- repository benchmark, git as the peer.
cmd=("$build/bench/strata_bench" --sizes "$sizes" --runs "$runs" --workdir "$workdir/repos"
     --cli "$build/cli/strata" --json "$out/strata_bench.json")
echo "## Repository: strata_bench" >>"$out/figures.md"
echo >>"$out/figures.md"
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
status=0
"${cmd[@]}" | tee -a "$out/figures.md" || status=$?

# --- one element changed, inserted, deleted in a 100,000-element array (format 2).
cmd=("$build/bench/strata_bench" --scenarios array --sizes 100k --runs "$runs" --workdir "$workdir/array" --no-git)
printf '\n## Large arrays: strata_bench --scenarios array\n\n' >>"$out/figures.md"
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
"${cmd[@]}" | tee -a "$out/figures.md" || status=$?

# --- peak memory (max RSS) of import and export, for inputs of MEMORY_SIZES MB.
echo >>"$out/figures.md"
echo "## Memory: bench/memory.sh ${MEMORY_SIZES:-100}" >>"$out/figures.md"
echo >>"$out/figures.md"
STRATA="$build/cli/strata" GEN="$build/bench/strata_gen" WORKDIR="$workdir/memory" \
  "$root/bench/memory.sh" ${MEMORY_SIZES:-100} | tee -a "$out/figures.md"

# --- strata import against git's fastest path, 100,000 documents and one
# 1M-key document (BEFORE: IMPORT_BEFORE, default this build).
echo >>"$out/figures.md"
echo "## Import against git: bench/import_vs_git.sh" >>"$out/figures.md"
echo >>"$out/figures.md"
"$build/bench/strata_gen" --count 100000 --size 200 --seed 1 --out "$workdir/import-docs.jsonl"
"$build/bench/strata_gen" --count 1 --keys 1000000 --depth 1 --seed 1 --out "$workdir/import-keys.jsonl"
for shape in docs keys; do
  mkdir -p "$workdir/import-$shape-git"
  echo "### $shape" >>"$out/figures.md"
  BEFORE="${IMPORT_BEFORE:-$build/cli/strata}" AFTER="$build/cli/strata" WORK="$workdir" \
    "$root/bench/import_vs_git.sh" "$workdir/import-$shape.jsonl" "$workdir/import-$shape-git" 5 |
    tee -a "$out/figures.md" || status=$?
done

# --- in-memory JSON Patch, fast-json-patch as the peer.
echo >>"$out/figures.md"
echo "## JSON Patch in memory: patch_bench against fast-json-patch, jsondiffpatch and python3-jsonpatch" >>"$out/figures.md"
echo >>"$out/figures.md"
"$build/bench/patch_bench" --out "$workdir/patch-cases" --json "$out/patch_bench.json" >/dev/null
PATCH_BENCH_JSON="$out/patch_bench_node.json" node "$root/bench/node/patch_bench.js" \
  "$workdir/patch-cases" "$out/patch_bench.json" | tee -a "$out/figures.md"
echo | tee -a "$out/figures.md"
/usr/bin/python3 "$root/bench/py_patch_bench.py" "$workdir/patch-cases" "$out/patch_bench.json" |
  tee -a "$out/figures.md"

# --- the seed's design on its own workload (create, update, read through a
# perspective), against strata's library and CLI. The reference lives beside
# the project (SEED_REFERENCE to point elsewhere); without it, this is skipped.
seed_ref=${SEED_REFERENCE:-$root/../shared/bench/seed_reference.py}
echo >>"$out/figures.md"
echo "## The seed's design: bench/seed_peer.py" >>"$out/figures.md"
echo >>"$out/figures.md"
if [ -f "$seed_ref" ]; then
  /usr/bin/python3 "$root/bench/seed_peer.py" --build "$build" --seed-reference "$seed_ref" \
    --runs "$runs" | tee -a "$out/figures.md"
else
  echo "skipped: no seed reference at $seed_ref (set SEED_REFERENCE)" | tee -a "$out/figures.md"
fi

# --- process start-up: strata get against git cat-file and a libgit2-only floor.
section() { printf '\n## %s\n\n' "$1" >>"$out/figures.md"; }
section "Start-up: bench/startup.py"
/usr/bin/python3 "$root/bench/startup.py" --build "$build" --runs "$runs" | tee -a "$out/figures.md"

# --- small durable versions, reads with many packs, gc against git gc.
section "Small versions and gc: storage_bench"
cmd=("$build/bench/storage_bench" --writes 200 --runs "$runs" --packs 200 --versions 2000 --docs 1000
     --workdir "$workdir/storage" --tmpfs "/dev/shm/strata-storage.$$")
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
"${cmd[@]}" | tee -a "$out/figures.md"
rm -rf "/dev/shm/strata-storage.$$"
# gc of many small packs (automatic gc off: each write one pack) against git gc.
section "gc of many small packs: bench/gc_many_packs.py"
cmd=(/usr/bin/python3 "$root/bench/gc_many_packs.py" --strata "$build/cli/strata" --versions 2000
     --docs 1000 --runs "$runs" --dir "$workdir/gc-many-packs")
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
"${cmd[@]}" | tee -a "$out/figures.md"
# gc of a large repository with few packs, with and without --keep-largest-pack.
section "gc of a large repository: bench/gc_large.py"
cmd=(/usr/bin/python3 "$root/bench/gc_large.py" --strata "$build/cli/strata" --docs 100000
     --versions 40 --runs "$runs" --dir "$workdir/gc-large")
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
"${cmd[@]}" | tee -a "$out/figures.md"
# The same disk's floor: four fsyncs a version and nothing else.
section "The fsync floor of a durable version: bench/fsync_floor.py"
cmd=(/usr/bin/python3 "$root/bench/fsync_floor.py" --dir "$workdir/fsync-floor" --runs "$runs")
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
"${cmd[@]}" | tee -a "$out/figures.md"

# A small version's pack entries: zlib's streams against libdeflate.
section "Compressing a small version's objects: deflate_bench"
cmd=("$build/bench/deflate_bench" --runs "$runs" --workdir "$workdir/deflate")
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
"${cmd[@]}" | tee -a "$out/figures.md"

# --- would a zstd dictionary trained on the deltas pay?
section "Delta compression with a dictionary: delta_dict_bench"
cmd=("$build/bench/delta_dict_bench" --versions 4000 --runs "$runs" --workdir "/dev/shm/strata-dict.$$")
echo "\`${cmd[*]/#$root\//}\`" >>"$out/figures.md"
"${cmd[@]}" 2>/dev/null | tee -a "$out/figures.md"

echo
echo "figures: $out/figures.md"
exit $status
