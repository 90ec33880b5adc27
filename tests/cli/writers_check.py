#!/usr/bin/env python3
"""Checks a concurrent-writers run (t1020-writers-scale.sh) against a model.

usage: writers_check.py VARIANT LOG.json WRITER.log... [--reads READS.log]

LOG.json is `strata log --reverse -p --json` of the branch after the run: every
version, oldest first, with the changes of its delta. Each WRITER.log has one
line per write a writer ran: "NAME I RC JSON" (JSON: what `--json` printed, or
"null" when it printed nothing). The writer NAME's I-th write had the message
"NAME iI" and meant, by VARIANT:

  docs    set NAME /v I            (a document per writer)
  values  set shared /NAME I       (one document, a member per writer)
  same    set same /v I            (one document, one value: every writer)
  pair    a patch: pa/v = I and pb/v = I  (NAME is "pair"; in every variant)

The check replays history in order: each version must be a write some writer
ran, its delta applied to its parent's state must give the model's state after
that write (so no write lost another's change), and every acknowledged version
(exit 0 with an id) is in history exactly once, in its writer's order. A write
that exits 0 with "unchanged": true must have changed nothing: its value is the
branch's value at some version (only possible in "same"). A refused write
(non-zero exit) must print nothing and not be in history. READS.log lines are
"KIND RC JSON" from reader loops: each read must succeed and match the model at
the version it names. Prints a summary line; exits 1 with every problem found.
"""
import json
import re
import sys

problems = []


def problem(msg):
    if len(problems) < 50:
        problems.append(msg)


def unescape(tok):
    return tok.replace("~1", "/").replace("~0", "~")


def apply_change(state, ch):
    """Applies one change of `log -p --json` (add/replace/remove) in place."""
    toks = [unescape(t) for t in ch["path"].split("/")[1:]]
    parent = state
    for t in toks[:-1]:
        parent = parent[int(t)] if isinstance(parent, list) else parent[t]
    last = toks[-1]
    op = ch["op"]
    if isinstance(parent, list):
        idx = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(idx, ch["value"])
        elif op == "replace":
            parent[idx] = ch["value"]
        elif op == "remove":
            del parent[idx]
        else:
            raise ValueError("op " + op)
    else:
        if op in ("add", "replace"):
            parent[last] = ch["value"]
        elif op == "remove":
            del parent[last]
        else:
            raise ValueError("op " + op)


def intend(variant, model, name, i):
    """What writer NAME's I-th write does to the model state."""
    if name == "pair":
        model.setdefault("pa", {})["v"] = i
        model.setdefault("pb", {})["v"] = i
    elif variant == "docs":
        model.setdefault(name, {})["v"] = i
    elif variant == "values":
        model.setdefault("shared", {})[name] = i
    elif variant == "same":
        model.setdefault("same", {})["v"] = i
    else:
        raise ValueError("variant " + variant)


def main():
    args = sys.argv[1:]
    reads = None
    if "--reads" in args:
        k = args.index("--reads")
        reads = args[k + 1]
        del args[k : k + 2]
    variant, log_path, writer_logs = args[0], args[1], args[2:]
    with open(log_path) as f:
        history = json.load(f)

    # Replay history against the model.
    model, stored = {}, {}
    at = {}  # version id -> the model state after it (as canonical JSON)
    seen_value = set()  # (doc, value) pairs "same" held at some version
    writes = {}  # (name, i) -> version id
    msg_re = re.compile(r"^(\S+) i(\d+)$")
    for v in history:
        for ch in v.get("changes", []):
            try:
                apply_change(stored, ch)
            except (KeyError, IndexError, ValueError) as e:
                problem("version %s: change %s does not apply: %r" % (v["id"], ch, e))
        m = msg_re.match(v["message"])
        if m:
            key = (m.group(1), int(m.group(2)))
            if key in writes:
                problem("write %s i%d is in history twice" % key)
            writes[key] = v["id"]
            intend(variant, model, key[0], key[1])
        elif v["parents"]:
            problem("version %s (%r) is no write of this run" % (v["id"], v["message"]))
        else:
            model = json.loads(json.dumps(stored))  # the base version
        if stored != model:
            problem("version %s (%s): state differs from the model" % (v["id"], v["message"]))
            model = json.loads(json.dumps(stored))
        at[v["id"]] = json.dumps(model, sort_keys=True)
        if variant == "same" and "same" in model:
            seen_value.add(model["same"].get("v"))
    order = {v["id"]: n for n, v in enumerate(history)}

    acked = unchanged = refused = replayed = 0
    for path in writer_logs:
        last_pos = -1
        with open(path) as f:
            for line in f:
                name, i, rc, out = line.rstrip("\n").split(" ", 3)
                i, rc = int(i), int(rc)
                out = json.loads(out)
                if rc != 0:
                    refused += 1
                    if out is not None:
                        problem("%s i%d: exit %d but printed %s" % (name, i, rc, out))
                    if (name, i) in writes:
                        problem("%s i%d: exit %d yet in history" % (name, i, rc))
                    continue
                if out is None:
                    problem("%s i%d: exit 0 printed nothing" % (name, i))
                    continue
                if out.get("unchanged") is True:
                    unchanged += 1
                    if out.get("version") is not None:
                        problem("%s i%d: unchanged with a version" % (name, i))
                    if (name, i) in writes:
                        problem("%s i%d: said unchanged, but is in history" % (name, i))
                    if variant != "same" or name == "pair":
                        problem("%s i%d: said unchanged, but it changes a value" % (name, i))
                    elif i not in seen_value:
                        problem("%s i%d: said unchanged, but /v was never %d" % (name, i, i))
                    continue
                acked += 1
                replayed += 1 if out.get("replayed") else 0
                vid = out["version"]["id"]
                if writes.get((name, i)) != vid:
                    problem("%s i%d: acknowledged %s, history has %s" % (name, i, vid, writes.get((name, i))))
                    continue
                if order[vid] <= last_pos:
                    problem("%s i%d: in history before its writer's earlier write" % (name, i))
                last_pos = order[vid]
    if acked != len(writes):
        problem("%d acknowledged versions, %d versions of this run in history" % (acked, len(writes)))

    nreads = 0
    if reads:
        with open(reads) as f:
            for line in f:
                kind, rc, out = line.rstrip("\n").split(" ", 2)
                nreads += 1
                if rc != "0":
                    problem("read %s exited %s" % (kind, rc))
                    continue
                try:
                    d = json.loads(out)
                except ValueError:
                    problem("read %s printed no JSON: %.200s" % (kind, out))
                    continue
                if kind.startswith("get:"):
                    doc = kind[4:]
                    state = at.get(d["version"])
                    if state is None:
                        problem("get %s read %s, which is not in history" % (doc, d["version"]))
                    elif json.loads(state).get(doc) != d["value"]:
                        problem("get %s@%s read %s" % (doc, d["version"], d["value"]))
                elif kind == "export":
                    # d: {"version", "pa", "pb"}: both documents of one version.
                    state = at.get(d["version"])
                    if d["pa"] != d["pb"]:
                        problem("export of %s: pa %s, pb %s" % (d["version"], d["pa"], d["pb"]))
                    if state is None:
                        problem("export read %s, which is not in history" % d["version"])
                    elif json.loads(state).get("pa") != d["pa"]:
                        problem("export of %s: pa %s" % (d["version"], d["pa"]))
                elif kind == "log":
                    if len(d) != 1 or d[0]["id"] not in at:
                        problem("log -n1 read %s" % d)
                elif kind == "ls":
                    if not isinstance(d, list) or any(e["versions"] < 1 for e in d):
                        problem("ls read %.200s" % d)
                else:
                    problem("unknown read kind " + kind)

    print(
        "%s: %d versions, %d acknowledged, %d unchanged, %d refused, %d replayed, %d reads checked"
        % (variant, len(history), acked, unchanged, refused, replayed, nreads)
    )
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
