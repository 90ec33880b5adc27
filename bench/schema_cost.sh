#!/usr/bin/env bash
# The cost a .schemas adds to a one-field `strata set`: the median wall time
# of RUNS sets of one field, in a repository of DOCS documents, without a
# .schemas and then with one whose glob matches the document set.
#   STRATA=build/cli/strata DOCS=1000 RUNS=9 bench/schema_cost.sh
# Prints one line per case: "<case> median_ms=<wall> cpu_median_ms=<user+sys> runs=<n>"
# (wall time is mostly fsync, which varies from run to run; CPU time is the work). No timing is
# asserted; docs/performance.md records the figures.
set -euo pipefail
STRATA=$(realpath "${STRATA:-build/cli/strata}")
DOCS=${DOCS:-1000}
RUNS=${RUNS:-9}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$STRATA" init >/dev/null
python3 - "$DOCS" >docs.jsonl <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": "svc/s%d" % i, "doc": {"name": "s%d" % i, "port": 1000 + i,
                      "tags": ["a", "b"], "limits": {"cpu": 2, "memory": "1Gi"}}}))
PY
"$STRATA" import docs.jsonl >/dev/null

median_ms() {  # median_ms LABEL: RUNS one-field sets, each a different value
  python3 - "$STRATA" "$RUNS" "$1" <<'PY'
import resource, statistics, subprocess, sys, time
strata, runs, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wall, cpu = [], []
for i in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([strata, "set", "svc/s1", "/port", str(2000 + i)], check=True,
                   stdout=subprocess.DEVNULL)
    wall.append((time.perf_counter() - t0) * 1000)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
print("%s median_ms=%.1f cpu_median_ms=%.1f runs=%d" %
      (label, statistics.median(wall), statistics.median(cpu), runs))
PY
}

median_ms "no .schemas"
cat >schemas.json <<'JSON'
{"schemas": [{"doc": "svc/*", "schema": {
  "type": "object", "required": ["name", "port"],
  "definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
  "properties": {"name": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                 "port": {"$ref": "#/definitions/port"},
                 "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
                 "limits": {"type": "object", "additionalProperties": {"type": ["integer", "string"]}}}}}]}
JSON
"$STRATA" put .schemas schemas.json >/dev/null
median_ms "with .schemas (1 schema matching the document)"
