#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A loopback TCP proxy that cuts connections at a chosen point, for tests.

It forwards every connection to --target, byte for byte, whatever the
protocol. When the client->server stream of a connection contains --marker,
it cuts that connection:

  before         drops the request holding the marker and closes both sides
                 (the server never sees it);
  after_request  forwards the request, waits until the server's reply starts
                 to arrive, then closes both sides without forwarding it (the
                 server ran the request, the client never learns the outcome);
  after_reply    forwards the request and the first chunk of the reply, then
                 closes both sides (the connection dies while idle).

--every K cuts only every K-th marker seen (counted over all connections);
--cuts N stops cutting after N cuts (0: never stops), so a retry through the
proxy goes through. Output, one line each, flushed: "ready PORT" once it
listens, then "cut N MODE" after each cut, once both sides are closed. It
exits by itself after --lifetime seconds, or when its stdin is a pipe and
closes (the test that started it ended or died).
"""

import argparse
import asyncio
import os
import stat
import sys


class Cutter:
    """Decides, over all connections, which marker sightings are cut."""

    def __init__(self, every, cuts):
        self.every = max(1, every)
        self.cuts_left = cuts if cuts > 0 else None
        self.seen = 0
        self.done = 0

    def should_cut(self):
        self.seen += 1
        if self.cuts_left == 0 or self.seen % self.every != 0:
            return False
        if self.cuts_left is not None:
            self.cuts_left -= 1
        self.done += 1
        return True


def report(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def close(writer):
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


async def serve(client_r, client_w, args, cutter, marker):
    try:
        await relay(client_r, client_w, args, cutter, marker)
    except asyncio.CancelledError:
        pass  # the proxy is exiting


async def relay(client_r, client_w, args, cutter, marker):
    try:
        server_r, server_w = await asyncio.open_connection(args.host, args.port)
    except OSError:
        await close(client_w)
        return
    armed = asyncio.Event()  # a request to cut went to the server
    state = {"tail": b"", "mode": None}

    async def upstream():
        while True:
            data = await client_r.read(65536)
            if not data:
                break
            window = state["tail"] + data
            state["tail"] = window[-(len(marker) - 1):] if len(marker) > 1 else b""
            cut_here = state["mode"] is None and marker in window and cutter.should_cut()
            if cut_here:
                state["mode"] = args.mode
                if args.mode == "before":
                    return
            server_w.write(data)
            await server_w.drain()
            if cut_here:
                armed.set()  # the cut comes with the reply (downstream)

    async def downstream():
        while True:
            data = await server_r.read(65536)
            if not data:
                break
            if armed.is_set():
                if state["mode"] == "after_reply":
                    client_w.write(data)
                    await client_w.drain()
                return
            client_w.write(data)
            await client_w.drain()

    up = asyncio.ensure_future(upstream())
    down = asyncio.ensure_future(downstream())
    try:
        await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
    except (ConnectionError, OSError):
        pass
    for task in (up, down):
        task.cancel()
    await close(client_w)
    await close(server_w)
    if state["mode"] is not None:
        report("cut %d %s" % (cutter.done, state["mode"]))


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="HOST:PORT of the server")
    ap.add_argument("--mode", required=True, choices=["before", "after_request", "after_reply"])
    ap.add_argument("--marker", required=True, help="text whose appearance in a request triggers a cut")
    ap.add_argument("--every", type=int, default=1, help="cut every K-th marker seen (default 1)")
    ap.add_argument("--cuts", type=int, default=1, help="cut at most N times; 0 = no limit (default 1)")
    ap.add_argument("--lifetime", type=float, default=60.0, help="exit after this many seconds (default 60)")
    ap.add_argument("--listen", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    args = ap.parse_args()
    args.host, _, port = args.target.rpartition(":")
    args.port = int(port)
    marker = args.marker.encode()
    if not marker:
        ap.error("--marker must not be empty")
    cutter = Cutter(args.every, args.cuts)

    server = await asyncio.start_server(lambda r, w: serve(r, w, args, cutter, marker), args.listen, 0)
    report("ready %d" % server.sockets[0].getsockname()[1])

    loop = asyncio.get_running_loop()
    stdin_closed = loop.create_future()

    def on_stdin():
        if not sys.stdin.buffer.read1(4096) and not stdin_closed.done():
            stdin_closed.set_result(None)

    # Only a pipe says "the parent is gone" by closing; a terminal or
    # /dev/null does not, so then only --lifetime ends the proxy.
    if stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode):
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    try:
        await asyncio.wait_for(stdin_closed, timeout=args.lifetime)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
