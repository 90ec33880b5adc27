#!/usr/bin/python3
"""gc of a large repository with few packs: `strata gc`, `strata gc
--keep-largest-pack` and `strata gc --aggressive` against `git gc` and `git gc
--keep-largest-pack`, on copies of the same files (issue 11, "strata gc";
docs/performance.md, "gc keeping the largest pack", "gc reusing the largest pack").

  /usr/bin/python3 bench/gc_large.py --strata build/cli/strata \\
      [--docs 100000] [--versions 40] [--runs 3] [--dir /tmp/gc-large]

The repository: --docs documents of ~200 bytes imported as one version and packed
by `strata gc --aggressive` (one pack, every delta searched), then --versions
one-field versions (each a small pack; automatic gc on, as by default). Each run
copies it five times and times the five commands on their copies (wall clock,
default grace period), in an order that rotates from run to run; the table gives
the medians, the ratios to git's command of the same kind (`git gc` for
--aggressive: git's own --aggressive searches with a window of 250), and the bytes
of objects/pack after each. `strata verify` checks every copy strata packed.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import time

KINDS = {
    "strata gc": lambda s: [s, "gc"],
    "strata gc --keep-largest-pack": lambda s: [s, "gc", "--keep-largest-pack"],
    "strata gc --aggressive": lambda s: [s, "gc", "--aggressive"],
    "git gc": lambda s: ["git", "--git-dir", ".strata", "gc", "-q"],
    "git gc --keep-largest-pack": lambda s: ["git", "--git-dir", ".strata", "gc", "-q",
                                             "--keep-largest-pack"],
}


def pack_bytes(repo):
    d = os.path.join(repo, ".strata/objects/pack")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", required=True, help="the strata binary")
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--versions", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/gc-large")
    args = ap.parse_args()
    strata = os.path.abspath(args.strata)
    shutil.rmtree(args.dir, ignore_errors=True)
    base = os.path.join(args.dir, "base")
    os.makedirs(base)
    env = dict(os.environ, STRATA_AUTHOR="bench <bench@example.com>")

    def run(cmd, cwd=base):
        subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=True)

    run([strata, "init"])
    lines = os.path.join(args.dir, "docs.jsonl")
    with open(lines, "w") as f:
        for i in range(args.docs):
            doc = {"name": "document %d" % i, "owner": "team-%d" % (i % 37), "n": i,
                   "tags": ["a%d" % (i % 11), "b%d" % (i % 13)], "text": "x" * 80}
            f.write(json.dumps({"id": "doc/%07d" % i, "doc": doc}) + "\n")
    run([strata, "import", lines, "-m", "import"])
    run([strata, "gc", "--aggressive"])
    for i in range(args.versions):
        run([strata, "set", "doc/%07d" % ((i * 7919) % args.docs), "/n", str(-i)])
    packs = len([f for f in os.listdir(os.path.join(base, ".strata/objects/pack"))
                 if f.endswith(".pack")])
    print(f"{args.docs} documents imported and packed, then {args.versions} one-field "
          f"versions: {packs} packs, {pack_bytes(base):,} bytes\n")
    times = {k: [] for k in KINDS}
    sizes = {}
    names = list(KINDS)
    for r in range(args.runs):
        order = names[r % len(names):] + names[:r % len(names)]
        for kind in order:
            copy = os.path.join(args.dir, "copy")
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(base, copy, symlinks=True)
            subprocess.run(["sync"], check=True)
            start = time.perf_counter()
            run(KINDS[kind](strata), copy)
            times[kind].append(time.perf_counter() - start)
            sizes[kind] = pack_bytes(copy)
            if kind.startswith("strata"):
                run([strata, "verify"], copy)
    print("| command | median of %d runs | strata / git | objects/pack after |" % args.runs)
    print("| --- | --- | --- | --- |")
    med = {k: statistics.median(v) for k, v in times.items()}
    for kind in names:
        peer = kind.replace("strata", "git").replace(" --aggressive", "")
        ratio = f"{med[kind] / med[peer]:.2f}x" if kind.startswith("strata") else ""
        print(f"| `{kind}` | {med[kind]:.2f} s | {ratio} | {sizes[kind]:,} B |")
    shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
