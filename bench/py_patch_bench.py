#!/usr/bin/python3
"""Peer benchmark: Debian's python3-jsonpatch on the cases bench/patch_bench wrote.

  /usr/bin/python3 bench/py_patch_bench.py CASES_DIR [STRATA_RESULTS.json]

For each case (A, B and the RFC 6902 patch from A to B) it times
  jsonpatch.make_patch(A, B)           (its diff)
  jsonpatch.apply_patch(A, patch)      (on a deep copy of A: atomic, like strata's ApplyPatch)
Each figure is the median of 7 batches of >= 50 ms, per operation. With
strata's results (patch_bench --json), it prints both with ratios
(python3-jsonpatch / strata: above 1x, strata is faster). Run it with Debian's
/usr/bin/python3, where python3-jsonpatch is installed.
"""
import json
import os
import sys
import time

import jsonpatch


def time_per_op(op):
    iters = 1

    def batch():
        start = time.perf_counter()
        for _ in range(iters):
            op()
        return time.perf_counter() - start

    while batch() < 0.05 and iters < (1 << 20):
        iters *= 4
    per = sorted(batch() / iters for _ in range(7))
    return per[3]


def us(s):
    return f"{s * 1e6:.3g} us"


def ratio(peer, ours):
    return f"{peer / ours:.2g}x" if ours else "-"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: py_patch_bench.py CASES_DIR [STRATA_RESULTS.json]")
    cases_dir = sys.argv[1]
    strata = {}
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            strata = {r["case"]: r for r in json.load(f)["results"]}
    with open(os.path.join(cases_dir, "cases.json")) as f:
        cases = json.load(f)
    print("| case | python3-jsonpatch make_patch | strata DiffValues | ratio | "
          "python3-jsonpatch apply_patch (copy) | strata ApplyPatch (atomic) | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in cases:
        def read(suffix):
            with open(os.path.join(cases_dir, f"{name}.{suffix}.json")) as f:
                return json.load(f)
        a, b, patch = read("a"), read("b"), read("patch")
        # The patch must take A to B here too, or the comparison means nothing.
        if jsonpatch.apply_patch(a, patch) != b:
            sys.exit(f"py_patch_bench: the patch of {name} does not give B")
        diff = time_per_op(lambda: jsonpatch.make_patch(a, b))
        apply = time_per_op(lambda: jsonpatch.apply_patch(a, patch))
        s = strata.get(name, {})
        print(f"| {name} | {us(diff)} | {us(s['diff_s']) if 'diff_s' in s else '-'} | "
              f"{ratio(diff, s.get('diff_s'))} | {us(apply)} | "
              f"{us(s['apply_s']) if 'apply_s' in s else '-'} | {ratio(apply, s.get('apply_s'))} |")


main()
