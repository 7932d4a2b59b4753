"""Admission control: bounded work in flight, deadlines that drop abandoned work, and a server
that answers health checks with many idle connections open."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace

import pytest

from voc.nlp.types import Feedback
from voc.service.batcher import Batcher, DeadlineExceeded, Overloaded
from voc.service.server import analysis_slots, make_server

LONG = "The parcel arrived late, the box was damaged and support never answered my emails. " * 40


class _Recording:
    """The real analyzer, noting which documents it was asked to analyse."""

    def __init__(self, analyzer) -> None:
        self._analyzer = analyzer
        self.seen: list[str] = []
        self.model_versions = analyzer.model_versions

    def analyze(self, feedback, **options):
        self.seen += [f.id for f in feedback]
        return self._analyzer.analyze(feedback, **options)


def test_requests_beyond_the_bound_are_refused_at_once(analyzer):
    batcher = Batcher(analyzer, wait_ms=1, max_queued_documents=1000, max_requests=1)
    try:
        first = batcher.submit([Feedback(id=f"{i}", text=LONG) for i in range(50)], ["sentiment"])
        started = time.perf_counter()
        with pytest.raises(Overloaded):
            batcher.submit([Feedback(id="x", text="ok")], ["sentiment"])
        assert time.perf_counter() - started < 0.05
        first.result(timeout=120)
        assert batcher.in_flight == 0
        assert batcher.submit([Feedback(id="y", text="ok")], ["sentiment"]).result(60)
    finally:
        batcher.close()


def test_work_past_its_deadline_is_dropped_never_run(analyzer):
    recording = _Recording(analyzer)
    batcher = Batcher(analyzer, wait_ms=1, max_queued_documents=1000)
    batcher.analyzer = recording
    try:
        busy = batcher.submit([Feedback(id=f"b{i}", text=LONG) for i in range(60)], ["sentiment"])
        time.sleep(0.05)  # the worker is now analysing `busy`
        with pytest.raises(DeadlineExceeded):
            batcher.analyze([Feedback(id="late", text="Great service")], ["sentiment"], 0.01)
        busy.result(timeout=120)
        batcher.analyze([Feedback(id="next", text="Great service")], ["sentiment"], 60)
    finally:
        batcher.close()
    assert "late" not in recording.seen and "next" in recording.seen
    assert batcher.in_flight == 0


def test_analysis_never_takes_every_web_thread():
    assert analysis_slots(16) == 14 and analysis_slots(2) == 1


@pytest.mark.slow
def test_health_answers_with_hundreds_of_idle_connections(app, settings):
    quick = replace(settings, idle_timeout_s=2.0)
    server = make_server(app, quick, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    port = server.effective_port
    idle = []
    try:
        for number in range(500):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            if number % 2:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never end
            idle.append(connection)
        for _ in range(5):
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                assert answer.status == 200
            assert time.perf_counter() - started < 1.0
        time.sleep(quick.idle_timeout_s + quick.idle_timeout_s / 3 + 1.5)
        closed = 0
        for connection in idle:
            connection.settimeout(0.5)
            try:
                closed += connection.recv(1) == b""
            except OSError:
                closed += 1
        assert closed == len(idle), "idle connections are closed after idle_timeout_s"
    finally:
        for connection in idle:
            connection.close()
        server.close()


def test_startup_objects_are_frozen_out_of_full_collections():
    """What `voc serve` loaded before serving is not walked by a full collection (which holds
    the interpreter lock, so every web thread would wait). Run in a child process: freezing
    this one would keep pytest's garbage."""
    script = (
        "import gc\n"
        "from voc.service.server import freeze_startup_objects\n"
        "loaded = [{'n': i} for i in range(100_000)]\n"
        "freeze_startup_objects()\n"
        "assert gc.get_freeze_count() >= len(loaded), gc.get_freeze_count()\n"
        "assert len(gc.get_objects(generation=2)) < len(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
