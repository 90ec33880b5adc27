#!/usr/bin/env python3
"""Runs the json-patch-tests conformance suite (tests/objects/data) through the
real CLI: strata put DOC, strata patch FILE --doc DOC, strata get DOC. A case
with "expected" must give exactly that document; a case with "error" must exit
non-zero with one "strata: error:" line and leave the document unchanged.

Usage: STRATA=build/cli/strata python3 patch_conformance.py DATA_DIR
"""
import atexit, json, os, shutil, subprocess, sys, tempfile
strata = os.environ["STRATA"]
data = sys.argv[1]
cases = json.load(open(os.path.join(data, "tests.json"))) + json.load(open(os.path.join(data, "spec_tests.json")))
work = tempfile.mkdtemp(prefix="strata-conformance-")  # in $TMPDIR; removed however we exit
atexit.register(shutil.rmtree, work, True)
env = dict(os.environ, STRATA_AUTHOR="Conformance <c@example.com>", STRATA_DIR=os.path.join(work, ".strata"), HOME=work)
subprocess.run([strata, "init", work], check=True, capture_output=True, env=env)
ran = failed = 0
for i, c in enumerate(cases):
    if c.get("disabled") or "patch" not in c:
        continue
    if "expected" not in c and "error" not in c:
        continue
    ran += 1
    doc = f"case/{i}"
    def run(*args, stdin=None):
        return subprocess.run([strata, *args], input=stdin, capture_output=True, text=True, env=env)
    r = run("put", doc, "-", stdin=json.dumps(c["doc"]))
    assert r.returncode == 0, r.stderr
    before = run("get", doc).stdout
    p = os.path.join(work, "p.json")
    with open(p, "w") as f:
        json.dump(c["patch"], f)
    r = run("patch", p, "--doc", doc)
    after = run("get", doc)
    if "expected" in c:
        got = json.loads(after.stdout) if after.returncode == 0 else None
        if r.returncode != 0 or got != c["expected"]:
            failed += 1
            print(f"not ok {i} - {c.get('comment', '')}: rc={r.returncode} {r.stderr.strip()} got={after.stdout.strip()}")
    else:
        if r.returncode == 0 or after.stdout != before:
            failed += 1
            print(f"not ok {i} - {c.get('comment', '')}: expected error '{c['error']}', rc={r.returncode}")
        elif not r.stderr.startswith("strata: error: ") or r.stderr.count("\n") != 1:
            failed += 1
            print(f"not ok {i} - error not one line: {r.stderr!r}")
print(f"{ran - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
