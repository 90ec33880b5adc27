#!/usr/bin/env python3
"""Runs one case of tests/merge/cases.json through the strata CLI.

usage: merge_cases.py CASES.json INDEX   (in an empty folder; $STRATA is the binary)

Writes base on main, ours on main and theirs on branch feat (patch --branch),
runs `strata merge feat`, and checks the state (clean cases) or the conflicts,
the exit code and that main did not move (stopping cases); then, for those,
`resolve --all --theirs` and `merge --continue`. Exit 0 when all holds.
"""
import json
import os
import subprocess
import sys

STRATA = os.environ["STRATA"]


def run(*args, check=True, stdin=None, env=None):
    p = subprocess.run([STRATA, *args], input=stdin, capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    if check and p.returncode != 0:
        sys.exit(f"FAIL: strata {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def git(*args):
    return subprocess.run(["git", "--git-dir", ".strata", *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def esc(doc):
    return "/" + doc.replace("~", "~0").replace("/", "~1")


def write_state(prev, state, branch, time):
    ops = [{"op": "remove", "path": esc(d)} for d in prev if d not in state]
    ops += [{"op": "add", "path": esc(d), "value": v} for d, v in state.items()]
    run("patch", "-", "--branch", branch, stdin=json.dumps(ops), env={"STRATA_TIME": str(time)})


def read_state(rev="HEAD"):
    docs = json.loads(run("ls", rev, "--json").stdout)
    return {d["id"]: json.loads(run("get", d["id"] + "@" + rev, "--compact").stdout)
            for d in docs}


def main():
    case = json.load(open(sys.argv[1]))["cases"][int(sys.argv[2])]
    print("case:", case["name"])
    run("init")
    # theirs is the newer side, for the "latest" policy.
    write_state({}, case["base"], "main", 1700000000)
    git("branch", "feat", "main")
    write_state(case["base"], case["ours"], "main", 1700000100)
    write_state(case["base"], case["theirs"], "feat", 1700000200)
    ours = git("rev-parse", "main")
    args = ["merge", "feat", "--json"]
    if "strategy" in case:
        args += ["--strategy", case["strategy"]]
    if "only" in case:
        args += ["--only", *case["only"]]
    p = run(*args, check=False)
    out = json.loads(p.stdout) if p.stdout else None
    if "merged" in case:
        if p.returncode != 0:
            sys.exit(f"FAIL: merge exited {p.returncode}: {p.stderr.strip()}")
        got = read_state()
        if got != case["merged"]:
            sys.exit(f"FAIL: merged state {json.dumps(got)} != {json.dumps(case['merged'])}")
        if out["result"] == "merged" and out["version"]["parents"] != [ours, git("rev-parse", "feat")]:
            sys.exit(f"FAIL: parents {out['version']['parents']}")
        return
    if p.returncode != 1 or out["result"] != "conflicts":
        sys.exit(f"FAIL: expected conflicts and exit 1, got {p.returncode}: {p.stdout} {p.stderr}")
    if not p.stderr.startswith("strata: error: merge stopped on"):
        sys.exit(f"FAIL: stderr {p.stderr!r}")
    got = [[c["doc"], c["pointer"], c["kind"]] for c in out["conflicts"]]
    if got != case["conflicts"]:
        sys.exit(f"FAIL: conflicts {got} != {case['conflicts']}")
    listed = json.loads(run("conflicts", "--json").stdout)
    if listed != out["conflicts"]:
        sys.exit(f"FAIL: strata conflicts --json {listed} != {out['conflicts']}")
    if git("rev-parse", "main") != ours:
        sys.exit("FAIL: main moved")
    # Each side is present exactly where the value is.
    for c in listed:
        for side in ("base", "ours", "theirs"):
            value = case[side].get(c["doc"])
            present = value is not None or c["doc"] in case[side]
            for token in c["pointer"].split("/")[1:] if c["pointer"] else []:
                token = token.replace("~1", "/").replace("~0", "~")
                if present and isinstance(value, dict) and token in value:
                    value = value[token]
                else:
                    present = False
            if present != (side in c) or (present and c[side] != value):
                sys.exit(f"FAIL: side {side} of {c}")
    p = run("set", "zz", "/x", "1", check=False)
    if p.returncode != 1 or "strata merge --continue" not in p.stderr:
        sys.exit(f"FAIL: a write during the merge: {p.returncode} {p.stderr}")
    run("resolve", "--all", "--theirs")
    run("merge", "--continue")
    if git("rev-list", "--parents", "-n", "1", "main").split()[1:] != [ours, git("rev-parse", "feat")]:
        sys.exit("FAIL: the merge version's parents")
    run("conflicts", check=False).returncode == 1 or sys.exit("FAIL: conflicts after --continue")


if __name__ == "__main__":
    main()
