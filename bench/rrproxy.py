"""A small round-robin TCP proxy on the loopback interface, for the multi-server check
and the fault drill. Not for production: no TLS, no health checks.

    python bench/rrproxy.py LISTEN_PORT BACKEND_PORT [BACKEND_PORT ...] [--log FILE]

Each new connection goes to the next backend in turn, and its number and backend are
written to the log (so a test can tell which server answered). SIGUSR1 makes the proxy
refuse connections (it closes new and open ones) until SIGUSR2: the fault drill uses it
to take a database away and bring it back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import sys

HOST = "127.0.0.1"


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("listen", type=int)
    parser.add_argument("backends", type=int, nargs="+")
    parser.add_argument("--log")
    args = parser.parse_args()
    log = open(args.log, "a", buffering=1) if args.log else sys.stdout  # noqa: SIM115
    turn = itertools.cycle(args.backends)
    counter = itertools.count(1)
    state = {"refusing": False}
    open_writers: set[asyncio.StreamWriter] = set()

    def refuse() -> None:
        state["refusing"] = True
        for w in list(open_writers):
            with contextlib.suppress(Exception):
                w.transport.abort()
        print("refusing", file=log)

    def accept_again() -> None:
        state["refusing"] = False
        print("accepting", file=log)

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, refuse)
    loop.add_signal_handler(signal.SIGUSR2, accept_again)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if state["refusing"]:
            writer.transport.abort()
            return
        backend = next(turn)
        print(f"{next(counter)} {backend}", file=log)
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, backend)
        except OSError:
            writer.transport.abort()
            return
        open_writers.update({writer, up_writer})
        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            open_writers.discard(writer)
            open_writers.discard(up_writer)

    server = await asyncio.start_server(handle, HOST, args.listen, reuse_address=True)
    print(f"listening {args.listen} -> {args.backends}", file=log)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
