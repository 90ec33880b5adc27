#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that breaks transfers on purpose, for t1402.

  cut_proxy.py PORT_FILE TARGET_PORT cut N       forward, then close both sides
                                                 after N bytes came back from the server
  cut_proxy.py PORT_FILE TARGET_PORT corrupt N   forward, flipping the bits of the
                                                 server's byte at offset N
  cut_proxy.py PORT_FILE TARGET_PORT trickle F   forward the server's bytes 1 KiB at a
                                                 time, 20 ms apart, touching F after
                                                 the first 64 KiB

It listens on a port the kernel picks, writes it to PORT_FILE, and serves
connections one after another until killed.
"""
import os
import socket
import sys
import threading
import time


def pump(src, dst, limit=None, trickle=None, on_cut=None, flip=None):
    sent = 0
    try:
        while True:
            data = src.recv(1024 if trickle else 65536)
            if not data:
                break
            if flip is not None and sent <= flip < sent + len(data):
                data = bytearray(data)
                data[flip - sent] ^= 0xFF
                data = bytes(data)
            if limit is not None and sent + len(data) >= limit:
                dst.sendall(data[: max(0, limit - sent)])
                on_cut()
                return
            dst.sendall(data)
            sent += len(data)
            if trickle:
                if sent >= 65536 and not os.path.exists(trickle):
                    open(trickle, "w").close()
                time.sleep(0.02)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    port_file, target, mode, arg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        client, _ = ls.accept()
        server = socket.create_connection(("127.0.0.1", target))

        def cut(c=client, s=server):
            # shutdown first: close() alone sends no FIN while the other
            # direction's thread is still blocked in recv() on the socket.
            for x in (c, s):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                    x.close()
                except OSError:
                    pass

        threading.Thread(target=pump, args=(client, server), daemon=True).start()
        if mode == "corrupt":
            threading.Thread(target=pump, args=(server, client, None, None, None, int(arg)),
                             daemon=True).start()
        elif mode == "cut":
            threading.Thread(target=pump, args=(server, client, int(arg), None, cut),
                             daemon=True).start()
        else:
            threading.Thread(target=pump, args=(server, client, None, arg), daemon=True).start()


if __name__ == "__main__":
    main()
