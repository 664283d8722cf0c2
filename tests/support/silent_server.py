#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A "silent server" for timeout tests: a loopback TCP listener that accepts
every connection, reads and discards what the client sends, and never answers.
With --greet mysql it first sends a MySQL protocol greeting, then falls silent
(a server that hangs in the middle of the handshake).

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


def mysql_greeting() -> bytes:
    """A protocol-10 handshake offering mysql_native_password, without TLS."""
    caps = 0x1 | 0x8 | 0x200 | 0x8000 | 0x10000 | 0x20000 | 0x80000
    salt = b"abcdefgh" + b"ijklmnopqrst"
    payload = (
        b"\x0a" + b"5.5.5-10.11.0-silent\x00" + (7).to_bytes(4, "little") + salt[:8] + b"\x00"
        + (caps & 0xFFFF).to_bytes(2, "little") + b"\x21" + (2).to_bytes(2, "little")
        + (caps >> 16).to_bytes(2, "little") + bytes([len(salt) + 1]) + bytes(10)
        + salt[8:] + b"\x00" + b"mysql_native_password\x00"
    )
    return len(payload).to_bytes(3, "little") + b"\x00" + payload


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lifetime", type=float, default=60.0, help="seconds before it exits by itself")
    ap.add_argument("--greet", choices=["mysql"], help="send this protocol's greeting first, then fall silent")
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
                if args.greet == "mysql":
                    conn.sendall(mysql_greeting())
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
