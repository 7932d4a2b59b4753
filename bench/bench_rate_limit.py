"""What the shared rate limit adds to one request: `RateLimiter.wait` (one UPSERT in the
database) timed on a SQLite file in WAL mode, on the engine `voc serve` gives it (commits not
waiting for the disk) and on a durable one, against the in-memory token bucket it replaced
(the same arithmetic under a lock, no database).

Run: `.venv/bin/python bench/bench_rate_limit.py` (default 2,000 calls, one key, never
refused: the limit is set high so every call takes the write path).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from voc.service.auth import RateLimiter
from voc.storage import create_schema, make_engine


class InMemoryBucket:
    """The per-process bucket before the limit moved to the database, for comparison."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key_id: str) -> float:
        with self._lock:
            now = time.monotonic()
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key_id] = (tokens - 1, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1 - tokens) / self.rate


def _time(limiter, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        assert limiter.wait("bench-key") == 0.0
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(name: str, times: list[float]) -> str:
    cut = sorted(times)
    p99 = cut[int(len(cut) * 0.99) - 1]
    return f"{name}: median {statistics.median(times):.3f} ms, p99 {p99:.3f} ms, n={len(times)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'voc.sqlite3'}"
        create_schema(make_engine(url))
        for durable in (False, True):
            shared = RateLimiter(make_engine(url, durable=durable), rate=1e9, burst=1e9)
            _time(shared, 50)  # connections opened, row created
            name = f"database bucket (SQLite WAL, durable={durable})"
            print(_summary(name, _time(shared, args.calls)))
    print(_summary("in-memory bucket", _time(InMemoryBucket(1e9, 1e9), args.calls)))


if __name__ == "__main__":
    main()
