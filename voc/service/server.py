"""The HTTP server of `voc serve`: waitress, whose own refusals use the one error format.

waitress buffers a whole request body before the app sees it, so an oversized upload must be
refused by waitress itself from its Content-Length (at once, before a byte is stored). Its
stock refusal is a plain-text page; clients of voc parse `{"error": {...}}` on every status,
so the error task below answers in that shape instead.
"""

from __future__ import annotations

import gc
import json
import math
import socket

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from voc.config import Settings
from voc.service.errors import HTTP_CODES
from voc.service.state import state

RESERVED_THREADS = 2
"""Web threads analysis never takes: health, readiness, job status and results stay served."""


def analysis_slots(threads: int, processes: int = 1) -> int:
    """How many `POST /v1/analyze` requests may wait on the encoder at once in one of
    `processes` web processes. Each share is rounded up, so together they admit what one
    process would, or a few more (3 processes of 14 slots get 5 each; rounded down, 12 in
    all refused requests below the service's capacity)."""
    return max(1, math.ceil((threads - RESERVED_THREADS) / processes))


def freeze_startup_objects() -> None:
    """Put everything loaded so far (models, tokenizers, spaCy pipelines, the app: about
    450,000 objects) out of the garbage collector's reach, for the life of the process.

    A full collection otherwise walks them all with the interpreter lock held (190 ms here),
    and every web thread waits that long, `/healthz` and the 429 answers included. They live
    as long as the process; what a model switch later replaces is still freed by reference
    counting, only a reference cycle among frozen objects would stay. (The models a switch
    loads are not frozen: switches are rare, and freezing at each could keep such cycles of
    every replaced version.)"""
    gc.collect()
    gc.freeze()


class _JsonErrorTask(ErrorTask):
    def execute(self) -> None:
        error = self.request.error
        code, message = HTTP_CODES.get(error.code, ("HttpError", error.reason))
        if error.code == 413:
            limit = self.channel.server.adj.max_request_body_size
            message = (
                f"the request body exceeds {limit} bytes (max_upload_bytes in GET /v1/limits); "
                "split the input into several jobs"
            )
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _JsonErrorTask


def make_server(
    app: Flask,
    settings: Settings,
    *,
    host: str,
    port: int,
    threads: int | None = None,
    sock: socket.socket | None = None,
) -> BaseWSGIServer:
    """A bound server (port 0 picks a free one: `server.effective_port`), or one accepting on
    `sock`, already bound and shared with other processes (`voc.service.processes`); `run()`
    serves.

    Connections are many and cheap (poll, not select, so more than 1,024 descriptors work)
    and idle ones are closed quickly, so idle or slow clients cannot hold every slot; web
    threads are never all taken by analysis (`analysis_slots`), so `/healthz` and `/readyz`
    answer under overload."""
    threads = threads or settings.web_threads
    where = {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
    server = create_server(
        app,
        **where,
        threads=threads,
        max_request_body_size=settings.limits.max_upload_bytes,
        connection_limit=settings.max_connections,
        channel_timeout=settings.idle_timeout_s,
        cleanup_interval=max(1, settings.idle_timeout_s / 3),
        asyncore_use_poll=True,
    )
    state(app).batcher.max_requests = analysis_slots(threads, settings.web_processes)
    state(app).guard.listening_on(host)
    server.channel_class = _Channel
    return server
