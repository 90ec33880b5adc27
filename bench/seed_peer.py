#!/usr/bin/python3
"""The seed's design against strata, on the seed's own workload, in one run.

  /usr/bin/python3 bench/seed_peer.py [--docs 100000] [--updates 100000] [--runs 3]
      [--seed-reference ../shared/bench/seed_reference.py] [--build build]
      [--durable-ops 200] [--cli-ops 50]

Runs ../shared/bench/seed_reference.py (pyrsistent + marshmallow + blinker, in
memory) --runs times and bench/seed_bench (strata, durable) once with --runs,
then prints one table: each of strata's ways against the seed's median, as
strata / seed (above 1x, strata is faster). The seed keeps nothing on disk;
every strata figure is fsync'd before the call returns.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--updates", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--durable-ops", type=int, default=200)
    ap.add_argument("--cli-ops", type=int, default=50)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seed-reference",
                    default=os.path.join(ROOT, "..", "shared", "bench", "seed_reference.py"))
    a = ap.parse_args()
    if not os.path.exists(a.seed_reference):
        sys.exit(f"seed_peer: no seed reference at {a.seed_reference} (--seed-reference PATH)")

    seed = {"create": [], "update": [], "get": []}
    for _ in range(a.runs):
        out = subprocess.run(["/usr/bin/python3", a.seed_reference, str(a.docs), str(a.updates)],
                             capture_output=True, text=True, check=True).stdout
        m = re.search(r"create (\d+)/s update (\d+)/s get\(public\) (\d+)/s", out)
        if not m:
            sys.exit(f"seed_peer: cannot read the seed reference's output: {out!r}")
        for key, value in zip(("create", "update", "get"), m.groups()):
            seed[key].append(float(value))
    seed = {k: statistics.median(v) for k, v in seed.items()}

    with tempfile.TemporaryDirectory(prefix="strata-seed-peer-") as tmp:
        figures = os.path.join(tmp, "seed_bench.json")
        subprocess.run([os.path.join(a.build, "bench", "seed_bench"), "--docs", str(a.docs),
                        "--updates", str(a.updates), "--runs", str(a.runs),
                        "--durable-ops", str(a.durable_ops), "--cli-ops", str(a.cli_ops),
                        "--workdir", os.path.join(tmp, "work"),
                        "--cli", os.path.join(a.build, "cli", "strata"), "--json", figures],
                       check=True, stdout=subprocess.DEVNULL)
        with open(figures) as f:
            strata = json.load(f)

    def cell(way, key, seed_key):
        ours = strata[way].get(key)
        if ours is None:
            return "-"
        return f"{ours:,.0f}/s ({ours / seed[seed_key]:.2g}x)"

    print(f"| {a.docs:,} documents, {a.updates:,} updates | create | update | get(public) |")
    print("| --- | --- | --- | --- |")
    print(f"| seed design (Python, in memory, not durable), median of {a.runs} | "
          f"{seed['create']:,.0f}/s | {seed['update']:,.0f}/s | {seed['get']:,.0f}/s |")
    rows = [("batched", "strata library, batched: one version for all creates, one for all updates"),
            ("per_call", f"strata library, one durable version per call ({a.durable_ops} calls)"),
            ("cli", f"strata CLI, one process per call ({a.cli_ops} calls)")]
    for way, label in rows:
        print(f"| {label} | {cell(way, 'create_per_s', 'create')} | "
              f"{cell(way, 'update_per_s', 'update')} | {cell(way, 'get_public_per_s', 'get')} |")


main()
