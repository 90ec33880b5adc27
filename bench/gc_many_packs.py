#!/usr/bin/python3
"""gc of a repository of many small packs: `strata gc` against `git gc` on copies
of the same files (issue 11, "strata gc").

  /usr/bin/python3 bench/gc_many_packs.py --strata build/cli/strata \\
      [--versions 2000] [--docs 1000] [--runs 3] [--dir /tmp/gc-many-packs]

With automatic gc off (strata.gcAuto 0) each `strata set` writes one pack, as each
fetch adds one: --versions one-field versions over --docs documents make a repository
of --versions packs. Each run copies it twice and times `strata gc` on one copy and
`git gc` on the other (wall clock; both with their default grace period of two weeks),
strata first in odd runs and git first in even ones; the table gives each run and the
medians. `strata verify` checks the copy strata packed.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time


def timed(cmd, cwd):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", required=True, help="the strata binary")
    ap.add_argument("--versions", type=int, default=2000)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/gc-many-packs")
    args = ap.parse_args()
    strata = os.path.abspath(args.strata)
    shutil.rmtree(args.dir, ignore_errors=True)
    base = os.path.join(args.dir, "base")
    os.makedirs(base)
    env = dict(os.environ, STRATA_AUTHOR="bench <bench@example.com>")
    run = lambda cmd, cwd=base: subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                               check=True)
    run([strata, "init"])
    run(["git", "--git-dir", ".strata", "config", "strata.gcAuto", "0"])
    start = time.perf_counter()
    for i in range(args.versions):
        run([strata, "set", "d%05d" % (i % args.docs), "/n", str(i)])
    written = time.perf_counter() - start
    packs = len([f for f in os.listdir(os.path.join(base, ".strata/objects/pack"))
                 if f.endswith(".pack")])
    print(f"{args.versions} one-field versions over {args.docs} documents, "
          f"{packs} packs, written in {written:.1f} s\n")
    print("| run | strata gc | git gc | strata / git |")
    print("| --- | --- | --- | --- |")
    rows = []
    for r in range(1, args.runs + 1):
        copies = {}
        for who in ("strata", "git"):
            copies[who] = os.path.join(args.dir, who)
            shutil.rmtree(copies[who], ignore_errors=True)
            shutil.copytree(base, copies[who], symlinks=True)
        order = ("strata", "git") if r % 2 else ("git", "strata")
        times = {}
        for who in order:
            cmd = [strata, "gc"] if who == "strata" else ["git", "--git-dir", ".strata", "gc", "-q"]
            times[who] = timed(cmd, copies[who])
        run([strata, "verify"], copies["strata"])
        rows.append(times)
        print(f"| {r} | {times['strata']:.2f} s | {times['git']:.2f} s | "
              f"{times['strata'] / times['git']:.2f}x |")
    s = statistics.median(t["strata"] for t in rows)
    g = statistics.median(t["git"] for t in rows)
    print(f"| median | **{s:.2f} s** | **{g:.2f} s** | **{s / g:.2f}x** |")
    shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
