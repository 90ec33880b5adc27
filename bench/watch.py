#!/usr/bin/env python3
"""How soon `strata watch` prints a version another process wrote, and what
a replay with --since costs as history grows. Nothing here asserts a time.

  bench/watch.py                      # M=200 writes, the binary in build/
  M=400 STRATA=build-bench/cli/strata bench/watch.py

(a) Latency: a watcher runs (`watch --json`); one writer process after
    another writes M versions (`strata set`), and for each the time from the
    writer's exit to the watcher's line is taken (the reader timestamps lines
    as they arrive). Reports median, p95 and max.
(b) Replay: `watch --json --since ROOT` over H versions, until its H-th line
    (then the watcher is stopped), against `log --json --reverse ROOT..main`
    over the same versions.
"""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATA = os.environ.get("STRATA", os.path.join(ROOT, "build", "cli", "strata"))
M = int(os.environ.get("M", "200"))
ENV = dict(os.environ, STRATA_AUTHOR="bench <bench@example.com>")


def strata(repo, *args, stdout=subprocess.DEVNULL):
    return subprocess.run([STRATA, "--repo", repo, *args], check=True, stdout=stdout, env=ENV)


def git(repo, *args):
    return subprocess.check_output(["git", "--git-dir", os.path.join(repo, ".strata"), *args],
                                   text=True).strip()


class Watch:
    """A background `strata watch`, its lines timestamped as they arrive."""

    def __init__(self, repo, *args):
        self.proc = subprocess.Popen([STRATA, "--repo", repo, "watch", "--json", *args],
                                     stdout=subprocess.PIPE, env=ENV, text=True)
        self.times = []
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for _ in self.proc.stdout:
            with self.lock:
                self.times.append(time.monotonic())
                self.lock.notify_all()

    def wait_lines(self, n, bound=300):
        with self.lock:
            if not self.lock.wait_for(lambda: len(self.times) >= n, bound):
                sys.exit(f"watch printed {len(self.times)} lines, not {n}")
            return self.times[n - 1]

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait()


def latency(work):
    repo = os.path.join(work, "lat")
    subprocess.run([STRATA, "init", repo], check=True, stdout=subprocess.DEVNULL)
    strata(repo, "set", "doc", "/v", "0")
    w = Watch(repo, "--since", git(repo, "rev-parse", "main"))  # no race with its start
    delays = []
    for i in range(1, M + 1):
        strata(repo, "set", "doc", "/v", str(i))
        done = time.monotonic()
        delays.append(w.wait_lines(i) - done)
    rc = w.stop()
    ms = sorted(d * 1000 for d in delays)
    print(f"latency over {M} writes (ms, write's exit to watch's line): "
          f"median {statistics.median(ms):.1f}, p95 {ms[int(0.95 * (len(ms) - 1))]:.1f}, "
          f"max {ms[-1]:.1f}; watch exit {rc}")
    return repo


def replay(repo):
    root = git(repo, "rev-list", "--max-parents=0", "main")
    h = int(git(repo, "rev-list", "--count", f"{root}..main"))
    start = time.monotonic()
    w = Watch(repo, "--since", root)
    end = w.wait_lines(h)
    w.stop()
    t_watch = end - start
    start = time.monotonic()
    strata(repo, "log", "--json", "--reverse", f"{root}..main")
    t_log = time.monotonic() - start
    print(f"replay of {h} versions: watch --since {t_watch * 1000:.0f} ms to the last line, "
          f"log --reverse {t_log * 1000:.0f} ms")


def main():
    with tempfile.TemporaryDirectory() as work:
        repo = latency(work)
        replay(repo)


if __name__ == "__main__":
    main()
