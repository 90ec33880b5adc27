#!/usr/bin/python3
"""The fsync floor of a durable one-field version on one disk: what the four
fsyncs strata makes for each version cost with nothing else done, so the
"Durable one-field versions per second" figure can be read against the most
this disk allows (issue 11, "Small versions").

  /usr/bin/python3 bench/fsync_floor.py --dir DIR [--versions 300] [--runs 3]

Each "version" does what strata's write does to the disk, in its order, with
a 5,000-byte pack and a 41-byte ref (strace of `strata set`, docs/performance.md):

  1. write the pack under a temporary name, fsync it;
  2. rename it into objects/pack, fsync objects/pack;
  3. write refs/heads/main.lock, fsync it;
  4. rename it to refs/heads/main, fsync refs/heads.

"overlapped" runs step 2's folder fsync on a second thread while step 3
writes and fsyncs the lock (the ref is renamed only when both are done, so
durability is the same): whether two fsyncs in flight cost less than two in
a row on this disk.

"journal" is what strata's write journal does instead (repo/journal.h,
since 2026-12-03): the pack and the ref's lock file written unsynced, one
record (the pack's bytes and ~100 bytes of move) written into a 1 MiB file
made whole beforehand, one fdatasync, then both renamed, unsynced; when the
file is full, one syncfs and the file starts over. The table gives versions
a second, median of --runs.
"""
import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time


def sync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_synced(path, data):
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


JOURNAL_BYTES = 1 << 20


def journal_version(root, i, journal):
    """One version as the write journal makes it; `journal` is [fd, offset]."""
    pack_dir, refs_dir = root + "/objects/pack", root + "/refs/heads"
    pack = os.urandom(5000)
    tmp = pack_dir + "/tmp-pack-%d" % i
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
    os.write(fd, pack)
    os.close(fd)
    lock = refs_dir + "/main.lock"
    fd = os.open(lock, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
    os.write(fd, b"%040x\n" % i)
    os.close(fd)
    record = pack + b"r" * 100
    if journal[1] + len(record) > JOURNAL_BYTES:
        os.syncfs(journal[0]) if hasattr(os, "syncfs") else os.sync()
        journal[1] = 4096
    os.pwrite(journal[0], record, journal[1])
    journal[1] += len(record)
    os.fdatasync(journal[0])
    os.rename(tmp, pack_dir + "/pack-%d.pack" % i)
    os.rename(lock, refs_dir + "/main")


def version(root, i, overlapped):
    pack_dir, refs_dir = root + "/objects/pack", root + "/refs/heads"
    tmp = pack_dir + "/tmp-pack-%d" % i
    write_synced(tmp, os.urandom(5000))
    os.rename(tmp, pack_dir + "/pack-%d.pack" % i)
    lock = refs_dir + "/main.lock"
    ref = b"%040x\n" % i
    if overlapped:
        helper = threading.Thread(target=sync_dir, args=(pack_dir,))
        helper.start()
        write_synced(lock, ref)
        helper.join()
    else:
        sync_dir(pack_dir)
        write_synced(lock, ref)
    os.rename(lock, refs_dir + "/main")
    sync_dir(refs_dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True,
                    help="a folder on the disk to measure (made if absent; the bench works, then "
                         "removes what it made, in a new folder inside it)")
    ap.add_argument("--versions", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rates = {False: [], True: [], "journal": []}
    n = 0
    os.makedirs(args.dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fsync-floor.", dir=args.dir)
    try:
        for run in range(args.runs + 1):  # the first is a warm-up
            for overlapped in (False, True, "journal"):
                root = os.path.join(work, "repo")
                shutil.rmtree(root, ignore_errors=True)
                os.makedirs(root + "/objects/pack")
                os.makedirs(root + "/refs/heads")
                journal = None
                if overlapped == "journal":
                    # Made whole and synced once, as strata makes it.
                    fd = os.open(root + "/journal", os.O_CREAT | os.O_RDWR, 0o644)
                    os.write(fd, b"\0" * JOURNAL_BYTES)
                    os.fsync(fd)
                    sync_dir(root)
                    journal = [fd, 4096]
                start = time.perf_counter()
                for _ in range(args.versions):
                    if journal:
                        journal_version(root, n, journal)
                    else:
                        version(root, n, overlapped)
                    n += 1
                rate = args.versions / (time.perf_counter() - start)
                if journal:
                    os.close(journal[0])
                if run > 0:
                    rates[overlapped].append(rate)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| a version's syncs, on %s | versions/s (median of %d) | runs |" % (args.dir, args.runs))
    print("| --- | --- | --- |")
    for overlapped, label in ((False, "four fsyncs in a row (strata's order without the journal)"),
                              (True, "four, the folder fsync overlapped with the ref's"),
                              ("journal", "one fdatasync of a journal record (strata's write journal)")):
        r = rates[overlapped]
        print("| %s | %.0f | %s |" % (label, statistics.median(r), " / ".join("%.0f" % x for x in r)))


if __name__ == "__main__":
    main()
