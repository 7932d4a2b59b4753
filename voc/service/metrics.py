"""Prometheus metrics, one registry per app (so several apps in one process do not clash).

Under `voc serve --processes N` each process counts in files of a shared directory
(prometheus_client's multiprocess mode, `MULTIPROCESS_DIR`, set by `voc.service.processes`)
and a scrape answers the sum over every process.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""Read by prometheus_client when it is imported: set before the process starts."""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "voc_http_requests",
            "HTTP requests",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "voc_http_request_seconds",
            "HTTP request latency",
            ["endpoint"],
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
            registry=self.registry,
        )
        self.documents = Counter(
            "voc_documents_analyzed", "Documents analysed", ["outcome"], registry=self.registry
        )
        self.alerts = Counter(
            "voc_alerts",
            "Alert events: scheduled, dropped, unroutable, delivered, retried, failed",
            ["event"],
            registry=self.registry,
        )

    def render(self) -> Response:
        registry = self.registry
        if os.environ.get(MULTIPROCESS_DIR):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> Metrics:
    metrics = Metrics()

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        if "started" in g:
            metrics.latency.labels(endpoint).observe(time.perf_counter() - g.started)
        return response

    return metrics
