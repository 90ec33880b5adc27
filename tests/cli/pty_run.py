#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal and prints what it wrote there.

Usage: pty_run.py [--input TEXT] CMD [ARG...]

CMD gets the terminal as its standard input, output and error (and as its
controlling terminal). TEXT, if given, is typed into the terminal first. All
CMD wrote is printed on standard output with the terminal's carriage returns
removed, and pty_run.py exits with CMD's exit code (128+N if signal N killed
it; 124 if it ran longer than $STRATA_TIMEOUT seconds, default 60).

This replaces script(1) in the CLI tests because script cannot tell when the
output is complete: util-linux's pty loop (lib/pty-session.c) keeps the
terminal's other end open itself, so after the child exits it gives up as
soon as no output has arrived for 10 ms, and at EOF on its standard input it
polls the terminal for up to 2 s before typing ^D. Here the output is read
until the kernel reports that every process holding the terminal has closed
it (read() fails with EIO; Linux returns the buffered bytes first), and only
then is CMD reaped: nothing depends on how fast anything is scheduled.
"""
import errno
import os
import pty
import signal
import sys


def main():
    args = sys.argv[1:]
    text = b""
    if args[:1] == ["--input"]:
        text = args[1].encode()
        args = args[2:]
    if not args:
        sys.exit("usage: pty_run.py [--input TEXT] CMD [ARG...]")

    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(args[0], args)
        except OSError as e:
            os.write(2, f"pty_run.py: {args[0]}: {e.strerror}\n".encode())
        os._exit(127)

    timed_out = False

    def on_alarm(signum, frame):
        nonlocal timed_out
        timed_out = True
        try:
            os.killpg(pid, signal.SIGKILL)  # CMD leads its own session and group
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(os.environ.get("STRATA_TIMEOUT") or 60))

    if text:
        os.write(master, text)
    out = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # the last holder of the other end closed it
                break
            raise
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    signal.alarm(0)
    os.close(master)

    sys.stdout.buffer.write(bytes(out).replace(b"\r", b""))
    sys.stdout.flush()
    if timed_out:
        sys.exit(124)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


main()
