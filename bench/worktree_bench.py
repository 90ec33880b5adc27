#!/usr/bin/env python3
"""worktree_bench: a working folder of many documents, strata against git.

  bench/worktree_bench.py [--docs 100000] [--runs 5] [--build build]
                          [--workdir /tmp/strata-worktree-bench]

Makes a repository of --docs small documents (one `strata import`), checks it
out with `strata worktree add`, and copies the same files into a git work
tree (git add, git commit). Then, one warm-up and --runs runs each, median
wall time:

  status: with one file changed in both, `strata status` in the working
          folder against `git status --porcelain` in the git work tree;
  commit: one file changed (a new value each run) and committed:
          `strata commit -m M` against `git commit -a -m M`.

Wall time, and CPU time (user + system of the process), which separates
work from waiting (fsync, a busy machine). Nothing here is a test: no time is
asserted. Prints a Markdown table.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time


def run(cmd, cwd=None, env=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"worktree_bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def timed(cmd, cwd=None, env=None):
    return timed_cpu(cmd, cwd, env)[0]


def timed_cpu(cmd, cwd=None, env=None):
    """Wall time and CPU time (user + system of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(cmd, cwd, env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def edit(path, n):
    with open(path) as f:
        d = json.load(f)
    d["rev"] = n
    with open(path, "w") as f:
        json.dump(d, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", default="build")
    ap.add_argument("--workdir", default="/tmp/strata-worktree-bench")
    a = ap.parse_args()
    strata = os.path.abspath(os.path.join(a.build, "cli", "strata"))
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    env = dict(os.environ, STRATA_AUTHOR="Bench <bench@example.com>",
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               NO_COLOR="1")
    repo = os.path.join(a.workdir, "repo")
    folder = os.path.join(a.workdir, "folder")
    gitwt = os.path.join(a.workdir, "git")
    os.makedirs(repo)
    run([strata, "init"], cwd=repo, env=env)
    lines = os.path.join(a.workdir, "docs.jsonl")
    with open(lines, "w") as f:
        for i in range(a.docs):
            doc = {"name": f"svc{i}", "replicas": i % 7, "env": {"region": "eu", "tier": i % 3},
                   "tags": ["a", "b"]}
            f.write(json.dumps({"id": f"svc/g{i % 100:02d}/s{i}", "doc": doc}) + "\n")
    t = timed([strata, "import", lines, "-m", "seed"], cwd=repo, env=env)
    print(f"# import of {a.docs} documents: {t:.2f} s", file=sys.stderr)
    t = timed([strata, "worktree", "add", folder], cwd=repo, env=env)
    print(f"# worktree add: {t:.2f} s", file=sys.stderr)
    # The same files in a git work tree.
    shutil.copytree(folder, gitwt, ignore=shutil.ignore_patterns(".strata"))
    run(["git", "init", "-q"], cwd=gitwt, env=env)
    run(["git", "add", "-A"], cwd=gitwt, env=env)
    run(["git", "commit", "-q", "-m", "seed"], cwd=gitwt, env=env)
    one = os.path.join("svc", "g00", "s0.json")
    edit(os.path.join(folder, one), -1)
    edit(os.path.join(gitwt, one), -1)

    def median(cmd, cwd, before=None):
        walls, cpus = [], []
        for i in range(a.runs + 1):  # the first is the warm-up
            if before:
                before(i)
            wall, cpu = timed_cpu(cmd, cwd, env)
            if i > 0:
                walls.append(wall)
                cpus.append(cpu)
        return statistics.median(walls), statistics.median(cpus)

    status_s = median([strata, "status"], folder)
    status_g = median(["git", "status", "--porcelain"], gitwt)
    out = run([strata, "status", "--json"], cwd=folder, env=env)
    assert json.loads(out)["modified"] == ["svc/g00/s0"], out
    counter = [0]

    def change(where):
        def f(i):
            counter[0] += 1
            edit(os.path.join(where, one), counter[0])
        return f

    commit_s = median([strata, "commit", "-m", "bench"], folder, change(folder))
    commit_g = median(["git", "commit", "-q", "-a", "-m", "bench"], gitwt, change(gitwt))
    print(f"| {a.docs} documents, one changed | strata wall | git wall | ratio "
          f"| strata CPU | git CPU | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, (sw, sc), (gw, gc) in (
            ("`strata status` vs `git status --porcelain`", status_s, status_g),
            ("`strata commit -m` vs `git commit -a -m`", commit_s, commit_g)):
        print(f"| {name} | {sw * 1000:.0f} ms | {gw * 1000:.0f} ms | {sw / gw:.2f} "
              f"| {sc * 1000:.0f} ms | {gc * 1000:.0f} ms | {sc / gc:.2f} |")

if __name__ == "__main__":
    main()
