#!/usr/bin/python3
"""Process start-up: `strata get` of a small document against `git cat-file -p`
of the same blob, and against libgit2_floor (a program that only loads Debian's
libgit2, opens the repository and reads that blob) and libgit2_floor_static (the
same, with libgit2 linked in as strata links it, when the build has it): issue
11's "Start-up" row.

  /usr/bin/python3 bench/startup.py --build build-bench [--runs 5] [--calls 200]

Each run times --calls processes of each command, interleaved (so load hits all
alike), and takes the median wall and CPU (user + system, from the children's
rusage) per call; the table gives the median over --runs runs after a warm-up.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time


def timed(cmd, cwd=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, cwd=cwd, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="build folder (cli/strata, bench/libgit2_floor)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    strata = os.path.join(build, "cli", "strata")
    floor = os.path.join(build, "bench", "libgit2_floor")
    floor_static = os.path.join(build, "bench", "libgit2_floor_static")
    work = tempfile.mkdtemp(prefix="strata-startup.")
    try:
        subprocess.run([strata, "init"], cwd=work, stdout=subprocess.DEVNULL, check=True)
        subprocess.run([strata, "set", "config/app", "/replicas", "3"], cwd=work,
                       stdout=subprocess.DEVNULL, check=True)
        git_dir = os.path.join(work, ".strata")
        blob = subprocess.run(["git", "--git-dir", git_dir, "rev-parse", "HEAD:state/config%2Fapp"],
                              capture_output=True, text=True, check=True).stdout.strip()
        commands = {
            "strata get config/app": ([strata, "get", "config/app"], work),
            "git cat-file -p (same blob)": (["git", "--git-dir", git_dir, "cat-file", "-p", blob], None),
            "libgit2_floor (same blob)": ([floor, git_dir, blob], None),
        }
        if os.path.exists(floor_static):
            commands["libgit2_floor_static (same blob)"] = ([floor_static, git_dir, blob], None)
        for cmd, cwd in commands.values():  # the command lines work; warm the page cache
            timed(cmd, cwd)
        results = {name: ([], []) for name in commands}
        for run in range(args.runs + 1):
            samples = {name: ([], []) for name in commands}
            for _ in range(args.calls):
                for name, (cmd, cwd) in commands.items():
                    wall, cpu = timed(cmd, cwd)
                    samples[name][0].append(wall)
                    samples[name][1].append(cpu)
            if run == 0:
                continue  # warm-up
            for name in commands:
                results[name][0].append(statistics.median(samples[name][0]))
                results[name][1].append(statistics.median(samples[name][1]))
        git_wall = statistics.median(results["git cat-file -p (same blob)"][0])
        print(f"median of {args.runs} runs of {args.calls} calls each, after a warm-up\n")
        print("| command | wall per call | CPU per call | wall vs git |")
        print("| --- | --- | --- | --- |")
        for name in commands:
            wall = statistics.median(results[name][0])
            cpu = statistics.median(results[name][1])
            print(f"| {name} | {wall * 1e3:.2f} ms | {cpu * 1e3:.2f} ms | {wall / git_wall:.2f}x |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
