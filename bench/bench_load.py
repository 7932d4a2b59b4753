"""Load benchmark: admission control, health under overload and idle connections, recovery.

Starts `voc serve` on a loopback port (a subprocess with its own temporary database), then:

(a) baseline: one client, one document at a time: p50 / p99 latency;
(b) capacity: as many concurrent clients as the service admits analysis requests
    (`web threads - 2`), each sending requests of `--docs` documents back to back;
(c) overload at 4x that: the excess must get 429 within 50 ms, admitted requests p99 <= 2 s,
    no 5xx, while `/healthz` is probed every 100 ms (target < 100 ms throughout);
(d) 500 idle connections (half of them with unfinished headers) held open during more
    overload: `/healthz` still < 100 ms;
(e) recovery: after the load stops, time until a one-document request is back under
    2x the baseline p99 (target < 5 s).

Loopback only; every loop is bounded in time or count. Run:
`.venv/bin/python bench/bench_load.py` (`--processes`, `--seconds`, `--threads`, `--docs` to vary
it; `--processes 2` or `3` runs `voc serve --processes N`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TEXTS = [
    "The parcel arrived five days late and nobody answered my emails.",
    "Livraison rapide mais colis abîmé, service client injoignable pendant une semaine.",
    "Pesanan dijanjikan 3 hari, tapi baru sampai seminggu. Kecewa banget dengan penjual.",
    "Perkhidmatan pelanggan sangat teruk, saya tunggu 40 minit di talian tanpa jawapan.",
]
IDLE_CONNECTIONS = 500
RETRY_PAUSE_S = 0.1
"""A refused client waits this long before its next request (the service says 1 s in
Retry-After; a shorter pause keeps the offered load at or above 4x)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _body(docs: int) -> bytes:
    documents = [{"id": str(i), "text": TEXTS[i % len(TEXTS)]} for i in range(docs)]
    return json.dumps({"features": ["language", "sentiment"], "documents": documents}).encode()


class Client:
    """One keep-alive connection to the service."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, float]:
        headers = {"Content-Type": "application/json"} if body else {}
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            status = 0
        return status, time.perf_counter() - started


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def run_load(port: int, clients: int, docs: int, seconds: float) -> dict:
    """`clients` closed-loop clients for `seconds`, `/healthz` probed every 100 ms."""
    body = _body(docs)
    stop = time.monotonic() + seconds
    results: list[tuple[int, float]] = []
    health: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        session = Client(port)
        while time.monotonic() < stop:
            status, latency = session.call("POST", "/v1/analyze", body)
            with lock:
                results.append((status, latency))
            if status == 429:
                time.sleep(RETRY_PAUSE_S)

    def prober() -> None:
        while time.monotonic() < stop:
            status, latency = Client(port).call("GET", "/healthz")
            health.append(latency if status == 200 else float("inf"))
            time.sleep(0.1)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    threads.append(threading.Thread(target=prober))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admitted = [latency for status, latency in results if status == 200]
    refused = [latency for status, latency in results if status == 429]
    return {
        "clients": clients,
        "requests": len(results),
        "admitted": len(admitted),
        "admitted_per_s": round(len(admitted) / seconds, 1),
        "admitted_p50": _p(admitted, 0.5),
        "admitted_p99": _p(admitted, 0.99),
        "refused_429": len(refused),
        "refused_p99": _p(refused, 0.99),
        "other": sorted({status for status, _ in results} - {200, 429}),
        "healthz_max": max(health, default=float("nan")),
        "healthz_p99": _p(health, 0.99),
    }


def _report(name: str, figures: dict) -> None:
    shown = {
        k: (_ms(v) if isinstance(v, float) and k not in ("admitted_per_s",) else v)
        for k, v in figures.items()
    }
    print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in shown.items()), flush=True)


def baseline(port: int, count: int) -> tuple[float, float]:
    session = Client(port)
    latencies = [session.call("POST", "/v1/analyze", _body(1))[1] for _ in range(count)]
    return statistics.median(latencies), _p(latencies, 0.99)


def open_idle(port: int, count: int) -> list[socket.socket]:
    idle = []
    for number in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        if number % 2:
            connection.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\n")  # never finished
        idle.append(connection)
    return idle


def recovery(port: int, normal: float, limit_s: float = 30) -> float:
    """Seconds until a one-document request answers within `normal` again."""
    session = Client(port)
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        status, latency = session.call("POST", "/v1/analyze", _body(1))
        if status == 200 and latency <= normal:
            return time.monotonic() - started
        time.sleep(0.05)
    return float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=16, help="web threads of voc serve")
    parser.add_argument("--processes", type=int, default=1, help="web processes of voc serve")
    parser.add_argument("--docs", type=int, default=25, help="documents per request")
    parser.add_argument("--seconds", type=float, default=20, help="length of each load phase")
    args = parser.parse_args()

    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="voc-bench-load-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'voc.sqlite3'}",
        "VOC_VAR_DIR": str(workdir),
    }
    command = [sys.executable, "-m", "voc.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--threads", str(args.threads), "--processes", str(args.processes)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "serve.log").open("wb"),
        # its own session: where Linux groups CPU time by session (autogroup), the server
        # shares the cores with the load generator's many threads as one group against
        # another, as on a machine of its own, instead of one thread against 56
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while Client(port).call("GET", "/readyz")[0] != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"voc serve did not start; see {workdir / 'serve.log'}")
            time.sleep(0.5)
        slots = max(1, args.threads - 2)
        print(
            f"voc serve on 127.0.0.1:{port}, {args.processes} process(es) of {args.threads} web"
            f" threads ({slots} for analysis in all)"
        )
        p50, p99 = baseline(port, 50)
        print(f"(a) baseline, 1 client x 1 document: p50 {_ms(p50)}, p99 {_ms(p99)}")
        _report(
            f"(b) capacity, {slots} clients x {args.docs} documents",
            run_load(port, slots, args.docs, args.seconds),
        )
        _report(
            f"(c) 4x capacity, {4 * slots} clients x {args.docs} documents",
            run_load(port, 4 * slots, args.docs, args.seconds),
        )
        idle = open_idle(port, IDLE_CONNECTIONS)
        try:
            _report(
                f"(d) 4x capacity with {IDLE_CONNECTIONS} idle connections open",
                run_load(port, 4 * slots, args.docs, args.seconds / 2),
            )
        finally:
            for connection in idle:
                connection.close()
        back = recovery(port, 2 * p99)
        print(f"(e) back under 2x baseline p99 ({_ms(2 * p99)}) {back:.2f} s after the load")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
