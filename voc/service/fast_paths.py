"""The answers that must stay fast under overload, given before Flask sees the request.

Under overload every web thread but two waits on analysis, and those two compete for the
interpreter with the analysis threads, so what an answer costs in Python is what it waits.
`GET /healthz` and the 429 of a `POST /v1/analyze` that would not be admitted need no body,
no key and no database: this WSGI layer answers them from the path, the method and the
batcher's counters, with the body and headers of the Flask answers they replace, and counts
them in the same metrics. Everything else goes on to Flask.

With several web processes on one socket (`voc serve --processes N`), a keep-alive connection
stays with the process that accepted it, and that process has only its share of the admission
bound: a client refused there would be refused again on the same connection while another
process has room. So the 429 then closes the connection, and the client's next request is
accepted by whichever process takes it first. A WSGI application may not send `Connection`;
an answer without `Content-Length` is one waitress closes after sending (HTTP/1.1, chunked).
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

    def __init__(
        self, app: Wsgi, batcher: Batcher, metrics: Metrics, *, close_refused: bool = False
    ) -> None:
        self.app = app
        self.batcher = batcher
        self.metrics = metrics
        self.close_refused = close_refused
        """Close the connection after a 429 (several web processes share the socket)."""

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
                    close=self.close_refused,
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
        *,
        close: bool = False,
    ) -> Iterable[bytes]:
        length = [] if close else [("Content-Length", str(len(body)))]
        start_response(status, [*JSON_HEADERS, *length, *(headers or [])])
        self.metrics.requests.labels(path, method, status[:3]).inc()
        self.metrics.latency.labels(path).observe(time.perf_counter() - started)
        # an iterator has no length, from which waitress would infer one (and keep the connection)
        return iter([body]) if close else [body]
