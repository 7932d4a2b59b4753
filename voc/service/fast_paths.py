"""The answers that must stay fast under overload, given before Flask sees the request.

Under overload every web thread but two waits on analysis, and those two compete for the
interpreter with the analysis threads, so what an answer costs in Python is what it waits.
`GET /healthz` and the 429 of a `POST /v1/analyze` that would not be admitted need no body,
no key and no database: this WSGI layer answers them from the path, the method and the
batcher's counters, with the body and headers of the Flask answers they replace, and counts
them in the same metrics. Everything else goes on to Flask.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from voc.service.analyze import RETRY_AFTER_SECONDS, overloaded_message
from voc.service.batcher import Batcher, Overloaded
from voc.service.headers import EVERY_ANSWER
from voc.service.metrics import Metrics

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
JSON_HEADERS = [("Content-Type", "application/json"), *EVERY_ANSWER]
"""A JSON answer's headers, as `voc.service.headers` completes Flask's."""


def _json(value: Any) -> bytes:
    """As Flask's `jsonify` writes it."""
    return json.dumps(value, separators=(",", ":")).encode() + b"\n"


HEALTHY = _json({"status": "ok"})


class FastPaths:
    """WSGI middleware in front of the Flask app (`app.wsgi_app`)."""

    def __init__(self, app: Wsgi, batcher: Batcher, metrics: Metrics) -> None:
        self.app = app
        self.batcher = batcher
        self.metrics = metrics

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        started = time.perf_counter()
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method == "GET":
            return self._answer(start_response, started, path, method, "200 OK", HEALTHY)
        if path == "/v1/analyze" and method == "POST":
            try:
                self.batcher.check_admission()
            except Overloaded as err:
                error = {"code": "Overloaded", "message": overloaded_message(err)}
                return self._answer(
                    start_response,
                    started,
                    path,
                    method,
                    "429 Too Many Requests",
                    _json({"error": error}),
                    [("Retry-After", RETRY_AFTER_SECONDS)],
                )
        return self.app(environ, start_response)

    def _answer(
        self,
        start_response: Callable[..., Any],
        started: float,
        path: str,
        method: str,
        status: str,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        start_response(
            status, [*JSON_HEADERS, ("Content-Length", str(len(body))), *(headers or [])]
        )
        self.metrics.requests.labels(path, method, status[:3]).inc()
        self.metrics.latency.labels(path).observe(time.perf_counter() - started)
        return [body]
