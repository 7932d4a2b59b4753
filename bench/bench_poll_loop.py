"""What idle connections cost waitress's event loop, per iteration, with the interpreter lock.

waitress (asyncore, `asyncore_use_poll=True` in `voc.service.server.make_server`) rebuilds its
poll set on every loop iteration, asking every open connection whether it is readable and
writable: Python work proportional to the open connections, done by the one thread that reads
every request and sends every answer. This bench times one iteration over real (socketpair)
connections that sent nothing, at the load bench's phase (c) (about 60 connections) and (d)
(500 more), and prints the ratio, to tell whether idle connections explain the slower
`/healthz` and 429 answers of phase (d) (`bench/bench_load.py`; docs/benchmarks.md, "Load").

Run: `.venv/bin/python bench/bench_poll_loop.py` (`--iterations` to vary it).
"""

from __future__ import annotations

import argparse
import socket
import sys
import time

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel


class _Server:
    """What a waitress channel asks of its server while it only waits for a request."""

    adj = Adjustments()

    def __init__(self) -> None:
        self.active_channels: dict[int, HTTPChannel] = {}

    def add_task(self, channel: HTTPChannel) -> None:
        raise AssertionError("an idle connection sent a request")

    def pull_trigger(self) -> None:
        pass


def iteration_ms(connections: int, iterations: int) -> float:
    """Mean milliseconds of one `poll2` iteration over `connections` idle channels."""
    server, channels, sockets = _Server(), {}, []
    for number in range(connections):
        ours, theirs = socket.socketpair()
        sockets += [ours, theirs]
        HTTPChannel(server, ours, ("127.0.0.1", number), server.adj, map=channels)
    try:
        started = time.perf_counter()
        for _ in range(iterations):
            wasyncore.poll2(0.0, channels)
        return (time.perf_counter() - started) / iterations * 1e3
    finally:
        for s in sockets:
            s.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    few = iteration_ms(60, args.iterations)
    many = iteration_ms(560, args.iterations)
    print(f"one poll iteration: 60 connections {few:.3f} ms, 560 connections {many:.3f} ms")
    print(f"ratio 560/60: {many / few:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
