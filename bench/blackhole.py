#!/usr/bin/env python3
"""A black-hole SMTP host, for bench/fallback.sh: accepts every TCP connection and never says a word.

    bench/blackhole.py --port 2526             # listen on 127.0.0.1:2526
    bench/blackhole.py --port 0                # any free port (the READY line names it)
    bench/blackhole.py --self-test

This is the SMTP server that hurts most: the TCP connect succeeds at once, so a client's connect timeout never
fires, and the client then waits for a "220" greeting that never comes — until its greeting timeout (convene:
10 s by default; nodemailer: 30 s). Every connection is held open and never written to; whatever the client
sends is read and thrown away (so a client's close is noticed and the socket freed).

Prints `READY 127.0.0.1:<port>` (flushed) once listening. On SIGTERM or SIGINT it stops and prints one JSON line
    {"blackhole":"127.0.0.1:<port>","connections":N,"max_open":M,"open_at_exit":K}
(connections accepted in all, the most held open at once, and still open at the end), then exits 0.
Listen backlog 1024, so 100 simultaneous connects all land.
"""
import argparse
import asyncio
import json
import signal
import socket
import sys


class Stats:
    def __init__(self):
        self.connections = 0
        self.open = 0
        self.max_open = 0
        # Connections held now: their transports (to drop them at exit) and handler tasks (to await).
        self.held = {}


async def hold(stats, reader, writer):
    stats.connections += 1
    stats.open += 1
    stats.max_open = max(stats.max_open, stats.open)
    stats.held[asyncio.current_task()] = writer.transport
    try:
        while await reader.read(65536):
            pass  # never answer
    except (ConnectionError, OSError):
        pass
    finally:
        stats.open -= 1
        stats.held.pop(asyncio.current_task(), None)
        writer.close()


async def serve(host, port, ready=None):
    stats = Stats()
    server = await asyncio.start_server(
        lambda r, w: hold(stats, r, w), host, port, backlog=1024, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    print(f"READY {host}:{bound}", flush=True)
    if ready is not None:
        ready.set_result((bound, stop, stats))
    await stop.wait()
    server.close()
    summary = {"blackhole": f"{host}:{bound}", "connections": stats.connections,
               "max_open": stats.max_open, "open_at_exit": stats.open}
    # Drop what is still held (so the handlers end normally and no close waits on a client).
    tasks = list(stats.held)
    for transport in list(stats.held.values()):
        transport.abort()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return summary


def self_test():
    async def run():
        ready = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(serve("127.0.0.1", 0, ready))
        port, stop, stats = await ready
        socks = []
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.setblocking(False)
            socks.append(s)
        # No greeting within a second, on any of them.
        await asyncio.sleep(1.0)
        for s in socks:
            try:
                data = s.recv(1)
                raise AssertionError(f"the black hole spoke: {data!r}")
            except BlockingIOError:
                pass
        assert stats.connections == 5 and stats.open == 5, vars(stats)
        socks[0].sendall(b"EHLO x\r\n")  # read and ignored
        for s in socks[:2]:
            s.close()
        await asyncio.sleep(0.3)
        assert stats.open == 3, vars(stats)
        stop.set()
        summary = await task
        assert summary["connections"] == 5 and summary["max_open"] == 5, summary
        for s in socks[2:]:
            s.close()
    asyncio.run(run())
    print("blackhole.py self-test: ok")


def main(argv):
    p = argparse.ArgumentParser(description="Accept TCP connections and never send a byte (an SMTP black hole).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port (see the READY line)")
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args(argv[1:])
    if args.self_test:
        self_test()
        return 0
    asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
