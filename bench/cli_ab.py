#!/usr/bin/python3
"""Two or more strata binaries, one command each, alternated on one repository:
the per-command wall and CPU time of each, as medians (docs/performance.md,
"Per-command cost"). Each round runs every binary --calls times in turn, so
a slow spell of a shared machine hits all of them alike.

  /usr/bin/python3 bench/cli_ab.py --repo DIR/.strata --bin A --bin B \\
      [--rounds 5] [--calls 40] [--command set|get]

`set` writes one field of a different document each call (`doc/NNNNNNN`, as
strata_bench names them, field `/ab`); `get` reads one. The repository is
changed by `set`: use a copy.
"""
import argparse
import os
import resource
import statistics
import subprocess
import time


def timed(cmd, env):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", required=True, help="the repository (its .strata folder)")
    ap.add_argument("--bin", action="append", required=True, help="a strata binary (repeat)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--command", choices=["set", "get"], default="set")
    ap.add_argument("--docs", type=int, default=100000, help="documents doc/0000000.. to pick from")
    args = ap.parse_args()
    env = dict(os.environ, STRATA_AUTHOR="bench <bench@example.com>")
    walls = {b: [] for b in args.bin}
    cpus = {b: [] for b in args.bin}
    call = 0

    def run(binary):
        nonlocal call
        call += 1
        doc = "doc/%07d" % ((call * 7919) % args.docs)
        if args.command == "set":
            cmd = [binary, "--repo", args.repo, "set", doc, "/ab", str(call), "-m", "ab"]
        else:
            cmd = [binary, "--repo", args.repo, "get", doc]
        return timed(cmd, env)

    for b in args.bin:  # warm-up: page cache, and each binary's first run
        run(b)
    for _ in range(args.rounds):
        for b in args.bin:
            for _ in range(args.calls):
                w, c = run(b)
                walls[b].append(w)
                cpus[b].append(c)
    print("| binary | %s: median wall | median CPU | calls |" % args.command)
    print("| --- | --- | --- | --- |")
    for b in args.bin:
        print("| %s | %.2f ms | %.2f ms | %d |" % (b, statistics.median(walls[b]) * 1e3,
                                                 statistics.median(cpus[b]) * 1e3, len(walls[b])))


if __name__ == "__main__":
    main()
