#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A "silent server" for timeout tests: a loopback TCP listener that accepts
every connection, reads and discards what the client sends, and never answers.

It prints "READY <port>" on one line once it listens, then runs until its
lifetime is over (--lifetime seconds, default 60) or its standard input closes
(the test that started it went away), so it can never outlive a test run.
"""
import argparse
import os
import select
import socket
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lifetime", type=float, default=60.0, help="seconds before it exits by itself")
    args = ap.parse_args()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print(f"READY {listener.getsockname()[1]}", flush=True)

    stdin = sys.stdin.fileno()
    watched = [listener, stdin]
    clients = []
    deadline = time.monotonic() + args.lifetime
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return 0
        readable, _, _ = select.select(watched + clients, [], [], left)
        for r in readable:
            if r is listener:
                conn, _ = listener.accept()
                clients.append(conn)
            elif r == stdin:
                if not os.read(stdin, 4096):
                    return 0  # the test is gone
            else:
                try:
                    data = r.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    clients.remove(r)
                    r.close()


if __name__ == "__main__":
    sys.exit(main())
