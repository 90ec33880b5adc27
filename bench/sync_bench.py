#!/usr/bin/env python3
"""sync_bench: push and fetch of a long history over git://, strata against git.

  bench/sync_bench.py [--versions 10000] [--docs 1000] [--runs 5]
                      [--build build] [--workdir /tmp/strata-sync-bench]

Builds a repository of --versions versions (bench/sync_gen), starts
`git daemon` on 127.0.0.1 (receive-pack on), and measures, one warm-up then
--runs runs each, median wall time:

  push:  `strata push URL main` of the whole history into an empty bare
         repository, against `git push URL main` of the same .strata
         repository (git reads strata's repository as it is: a bare git one);
  fetch: `strata fetch` of the whole history into an empty strata
         repository, against `git fetch` into an empty bare repository;
  one:   after one more version, what `strata push` sends to a remote that has
         the rest (objects, from push --json), against the objects that
         version added (git rev-list --objects);
  projected: the same for `strata push --perspective public` (the first push
         projects the whole history; the next one projects and sends one
         version).

Nothing here is a test: no time is asserted. Prints a Markdown table.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time


def run(cmd, cwd=None, env=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"sync_bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def timed(cmd, cwd=None, env=None):
    start = time.perf_counter()
    run(cmd, cwd, env)
    return time.perf_counter() - start


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--versions", type=int, default=10000)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", default="build")
    ap.add_argument("--workdir", default="/tmp/strata-sync-bench")
    a = ap.parse_args()
    strata = os.path.abspath(os.path.join(a.build, "cli", "strata"))
    gen = os.path.abspath(os.path.join(a.build, "bench", "sync_gen"))
    w = os.path.abspath(a.workdir)
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    env = dict(os.environ, STRATA_AUTHOR="Bench <bench@example.com>", HOME=w,
               GIT_CONFIG_NOSYSTEM="1")
    src = os.path.join(w, "src")
    print(f"building {a.versions} versions over {a.docs} documents ...", file=sys.stderr)
    run([gen, src, "--versions", str(a.versions), "--docs", str(a.docs)], env=env)
    # As a clone or gc leaves it: one pack (both tools then send from packs).
    run(["git", "--git-dir", os.path.join(src, ".strata"), "repack", "-adq"])
    srv = os.path.join(w, "srv")
    os.makedirs(srv)
    port = free_port()
    daemon = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
         "--listen=127.0.0.1", f"--port={port}", f"--base-path={srv}", srv],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"git://127.0.0.1:{port}"
        git_dir = os.path.join(src, ".strata")
        n = [0]

        def bare():
            n[0] += 1
            name = f"r{n[0]}.git"
            run(["git", "init", "-q", "--bare", os.path.join(srv, name)])
            return name

        def strata_push():
            return timed([strata, "push", f"{url}/{bare()}", "main"], cwd=src, env=env)

        def git_push():
            return timed(["git", "--git-dir", git_dir, "push", "-q", f"{url}/{bare()}", "main"],
                         env=env)

        full = bare()
        run([strata, "push", f"{url}/{full}", "main"], cwd=src, env=env)

        def strata_fetch():
            n[0] += 1
            d = os.path.join(w, f"f{n[0]}")
            run([strata, "init", d], env=env)
            run([strata, "remote", "add", "o", f"{url}/{full}"], cwd=d, env=env)
            return timed([strata, "fetch", "o"], cwd=d, env=env)

        def git_fetch():
            n[0] += 1
            d = os.path.join(w, f"g{n[0]}.git")
            run(["git", "init", "-q", "--bare", d])
            return timed(["git", "--git-dir", d, "fetch", "-q", f"{url}/{full}",
                          "+refs/heads/*:refs/remotes/o/*"], env=env)

        rows = []
        for name, ours, theirs in (("push", strata_push, git_push),
                                   ("fetch", strata_fetch, git_fetch)):
            ours(), theirs()  # warm-up
            ts, tg = [], []
            for _ in range(a.runs):
                ts.append(ours())
                tg.append(theirs())
            ms, mg = statistics.median(ts), statistics.median(tg)
            rows.append((name, ms, mg))

        # One more version: what push sends to a remote that has the rest.
        run([strata, "remote", "add", "site", f"{url}/{full}"], cwd=src, env=env)
        run([strata, "fetch", "site"], cwd=src, env=env)
        run([strata, "set", "docs/d00000", "/v", "-1"], cwd=src, env=env)
        new_objects = len(run(["git", "--git-dir", git_dir, "rev-list", "--objects",
                               "main^..main"]).split("\n")) - 1
        one = json.loads(run([strata, "push", "--json", "site", "main"], cwd=src, env=env))
        # Through a perspective: project and push the whole history, then one more.
        pub = bare()
        start = time.perf_counter()
        run([strata, "push", "--perspective", "public", f"{url}/{pub}", "main"], cwd=src, env=env)
        first_projection = time.perf_counter() - start
        projected_versions = int(run(["git", "--git-dir", os.path.join(srv, pub), "rev-list",
                                      "--count", "main"]).strip())
        run([strata, "set", "docs/d00001", "/v", "-2"], cwd=src, env=env)
        start = time.perf_counter()
        pone = json.loads(run([strata, "push", "--perspective", "public", "--json",
                               f"{url}/{pub}", "main"], cwd=src, env=env))
        second_projection = time.perf_counter() - start

        print(f"| {a.versions:,} versions, {a.docs:,} documents, git:// on loopback "
              f"| strata | git | strata / git |")
        print("| --- | --- | --- | --- |")
        for name, ms, mg in rows:
            print(f"| {name} of the whole history (median of {a.runs}) | {ms*1000:.0f} ms "
                  f"| {mg*1000:.0f} ms | {ms/mg:.2f}x |")
        print(f"\none new version pushed to a remote with the rest: {one['sent']['objects']} "
              f"objects sent (the version added {new_objects} objects)")
        print(f"push --perspective public, whole history: {first_projection*1000:.0f} ms, "
              f"{projected_versions} projected versions (of {a.versions + 2}: every 10th changes "
              f"only a hidden value)")
        print(f"push --perspective public of one more version: {second_projection*1000:.0f} ms, "
              f"{pone['sent']['objects']} objects sent")
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    main()
