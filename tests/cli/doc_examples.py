#!/usr/bin/env python3
"""Runs the ```sh examples of a Markdown file, in order, as one bash script.

    doc_examples.py FILE.md WORKDIR

Every ```sh block runs, in WORKDIR, in one bash process (so `cd`, variables
and files carry from one block to the next, as for a reader pasting them),
with `set -eEo pipefail` and an ERR trap. The first failing command stops
the run: it prints `FILE:LINE: failed (exit N): the line` and exits 1.
Blocks fenced ```sh skip (an install step, a command that needs the
network) are listed and not run. Any other fence (```json, ```text, ```)
is not a command. As in any bash script under set -e, a failure on the left
of `&&` or `||` does not stop the run: the docs write one command per line
(`a || b` only where a's failure is the point). Prints one
`# FILE:LINE: ran` (or `skipped`) line per block, then what the blocks
printed, stdout and stderr together.
"""
import os
import re
import subprocess
import sys

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*?)\s*$")


def blocks(path):
    """(first_line_number, info, [lines]) for each fenced block."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang, rest = m.groups()
        body = []
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence[0] * len(fence)) and lines[j].strip().strip(fence[0]) == ""
        ):
            line = lines[j]
            body.append(line[len(indent):] if line.startswith(indent) else line)
            j += 1
        out.append((i + 2, lang, rest, body))
        i = j + 1
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: doc_examples.py FILE.md WORKDIR")
    path, workdir = sys.argv[1], sys.argv[2]
    name = os.path.relpath(path)
    script = ["set -eEo pipefail",
              'trap \'echo "__DOC_FAIL__ $LINENO $?" >&2; exit 1\' ERR']
    where = {}  # script line -> doc line
    ran = 0
    for first, lang, rest, body in blocks(path):
        if lang != "sh":
            continue
        if rest == "skip":
            script.append(f"echo '# {name}:{first - 1}: skipped (sh skip)'")
            continue
        if rest:
            sys.exit(f"{name}:{first - 1}: unknown fence info '{rest}' (use ```sh or ```sh skip)")
        script.append(f"echo '# {name}:{first - 1}: ran'")
        for k, line in enumerate(body):
            script.append(line)
            where[len(script)] = first + k
        ran += 1
    if ran == 0:
        sys.exit(f"{name}: no ```sh block")
    text = "\n".join(script) + "\n"
    proc = subprocess.run(["bash", "-c", text, "doc-examples"], cwd=workdir,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    fail = None
    # What the examples printed, stdout and stderr as they came.
    for line in proc.stdout.splitlines():
        if line.startswith("__DOC_FAIL__ "):
            _, lineno, rc = line.split()
            fail = fail or (int(lineno), rc)
        else:
            print(line)
    if proc.returncode != 0:
        if fail:
            doc_line = where.get(fail[0])
            with open(path, encoding="utf-8") as f:
                src = f.read().split("\n")
            shown = src[doc_line - 1].strip() if doc_line else "?"
            print(f"{name}:{doc_line}: failed (exit {fail[1]}): {shown}")
        else:
            print(f"{name}: the examples exited {proc.returncode}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
