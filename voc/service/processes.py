"""`voc serve --processes N`: several web processes answering on one listening socket.

One Python process answers every request with one interpreter lock: under overload the
admitted requests' JSON and the analysis fill the one core it can use, and a `/healthz` or a
429 waits its turn (docs/benchmarks.md, Load). Several processes each have their own lock,
so a cheap answer is never queued behind another process's work.

The parent binds the socket once and starts N children (`voc serve --listen-fd`), which
inherit it and accept on it, each with its own models, batcher and background workers (jobs
and alerts are claimed in the database, so several workers never take the same one). Each
child takes its share of the encoder threads and of the admission bounds (rounded up), so the
service as a whole admits what one process would. The parent only supervises: a signal stops
every child, and when one child exits the others are stopped too, so that whatever restarts the
service finds it down, never half up.

`GET /metrics` must count the whole service, whichever process answers: the children run
prometheus_client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, a fresh directory of the
parent's, removed when it stops), each writing its counters to files there, and every
scrape sums them (`voc.service.metrics`).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import replace

from voc.config import Settings
from voc.service.metrics import MULTIPROCESS_DIR

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 30
"""How long a child has to finish after SIGTERM before it is killed."""


def process_share(settings: Settings) -> Settings:
    """The settings of one of `settings.web_processes` web processes: its share of the encoder
    threads (0 meant one per core) and, rounded up, of the documents admitted at once."""
    processes = settings.web_processes
    threads = settings.threads or os.cpu_count() or 1
    return replace(
        settings,
        threads=max(1, threads // processes),
        max_queued_documents=math.ceil(settings.max_queued_documents / processes),
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound and listening, inheritable by the children."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.set_inheritable(True)
    return sock


def serve_processes(host: str, port: int, processes: int, threads: int | None) -> int:
    """Run `processes` children of `voc serve` on one socket until a signal stops them (0) or
    one exits (its status: the others are stopped, and the service is down as a whole)."""
    sock = listening_socket(host, port)
    with tempfile.TemporaryDirectory(prefix="voc-metrics-") as metrics_dir:
        env = {**os.environ, MULTIPROCESS_DIR: metrics_dir}
        return _supervise(sock, host, processes, threads, env)


def _supervise(
    sock: socket.socket, host: str, processes: int, threads: int | None, env: dict[str, str]
) -> int:
    command = [
        sys.executable,
        "-m",
        "voc.cli",
        "serve",
        "--host",
        host,
        "--processes",
        str(processes),
        "--listen-fd",
        str(sock.fileno()),
        *(["--threads", str(threads)] if threads else []),
    ]
    children = [
        subprocess.Popen(command, pass_fds=(sock.fileno(),), env=env) for _ in range(processes)
    ]
    log.info(
        "serve.processes",
        extra={"port": sock.getsockname()[1], "pids": [c.pid for c in children]},
    )

    asked_to_stop = []

    def stop(signum: int, _frame) -> None:
        asked_to_stop.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pid, status = os.wait()  # the first child to exit, for whatever reason
    for child in children:
        if child.pid != pid and child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    sock.close()
    code = os.waitstatus_to_exitcode(status)
    log.info("serve.stopped", extra={"pid": pid, "exit_code": code, "asked": bool(asked_to_stop)})
    if asked_to_stop:
        return 0
    return code if code >= 0 else 128 - code
