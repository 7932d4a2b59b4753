"""A job worker: claim a chunk -> analyse it -> commit its results -> next.

The same loop runs as a thread inside `voc serve` and as the `voc worker` process. While a
chunk is analysed a heartbeat thread renews its lease, so only a dead worker's chunk is
claimed again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from voc.config import Settings
from voc.jobs.ingest import Row
from voc.jobs.store import Claim, JobStore
from voc.jobs.types import ResultRow
from voc.nlp.analyzer import Analyzer
from voc.nlp.batch import analyze_batch, feedback_from_json
from voc.nlp.topic_assignment import UnitsByText
from voc.nlp.validation import DocumentError
from voc.registry.provider import ActiveModels

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400


def analyze_rows(
    analyzer: Analyzer,
    rows: Sequence[tuple[int, Row]],
    options: Mapping[str, Any],
    *,
    units: UnitsByText | None = None,
) -> list[ResultRow]:
    """One chunk of (position, row) -> its results in order: refused rows keep their reason.

    Every engine (job worker, `voc analyze`, Ray) analyses the same chunks through this, so
    the encoder sees the same batches and the answers are identical. `units` receives the
    chunk's topic units (`Analyzer.analyze`), for a report fitted after the run.
    """
    valid = [(position, row.feedback) for position, row in rows if row.feedback is not None]
    try:
        analyses = analyze_batch(analyzer, [f for _, f in valid], options, units=units)
    except Exception:
        log.exception("chunk.analysis_failed", extra={"documents": len(valid)})
        analyses = [_analyze_one(analyzer, f, options, units) for _, f in valid]
    by_position = {position: a for (position, _), a in zip(valid, analyses, strict=True)}
    results = []
    for position, row in rows:
        if row.error is not None:
            results.append(_error_row(position, row.error))
            continue
        analysis = by_position[position]
        if isinstance(analysis, DocumentError):
            results.append(_error_row(position, analysis))
        else:
            results.append(ResultRow(position, analysis["id"], body=analysis))
    return results


def _analyze_one(
    analyzer: Analyzer, feedback, options: Mapping[str, Any], units: UnitsByText | None
):
    """After a failed chunk: analyse alone, so one bad document fails alone."""
    try:
        return analyze_batch(analyzer, [feedback], options, units=units)[0]
    except Exception as err:
        log.exception("document.analysis_failed", extra={"error_type": type(err).__name__})
        return DocumentError(
            feedback.id, "AnalysisFailed", f"analysis failed ({type(err).__name__}); it is logged"
        )


def _error_row(position: int, error: DocumentError) -> ResultRow:
    return ResultRow(position, error.id, error_code=error.code, error_message=error.message)


def claim_rows(claim: Claim) -> list[tuple[int, Row]]:
    return [
        (
            d.position,
            Row(feedback=feedback_from_json(d.body))
            if d.body is not None
            else Row(error=DocumentError(d.doc_id, d.error_code or "", d.error_message or "")),
        )
        for d in claim.documents
    ]


class _Heartbeat:
    """Renews a claim's lease every third of the lease while the chunk is being analysed."""

    def __init__(self, store: JobStore, claim: Claim, lease_seconds: float) -> None:
        self._store, self._claim, self._lease = store, claim, lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="voc-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._lease / 3):
            try:
                if not self._store.heartbeat(self._claim, self._lease):
                    return
            except SQLAlchemyError:
                log.warning("job.heartbeat_failed", extra={"job_id": self._claim.job_id})


class Worker:
    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        *,
        analyzer: Callable[[], Analyzer],
        worker_id: str | None = None,
        on_finished: Callable[[str], None] | None = None,
    ) -> None:
        """`analyzer()` is asked before each chunk, so a chunk runs on the active versions
        (`ActiveModels`: the service's own inside `voc serve`, the process's in `voc worker`).
        `on_finished(job_id)` runs once per job, in the worker that ends it (in `voc serve` and
        `voc worker`: the emerging-issue alerts of `voc.jobs.emerging_alerts`)."""
        self.store = store
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._analyzer = analyzer
        self._on_finished = on_finished

    def run_once(self) -> bool:
        """Process one chunk if there is one; True when a chunk was handled."""
        lease = self.settings.job_lease_seconds
        claim = self.store.claim(self.worker_id, lease)
        if claim is None:
            return False
        started = time.perf_counter()
        with _Heartbeat(self.store, claim, lease):  # also while a new version loads
            analyzer = self._analyzer()
            results = analyze_rows(analyzer, claim_rows(claim), claim.options)
        committed = self.store.complete(claim, results, analyzer.model_versions)
        if self.store.settle(claim.job_id):
            self._finished(claim.job_id)
        log.info(
            "job.chunk_done" if committed else "job.chunk_lease_lost",
            extra={
                "job_id": claim.job_id,
                "chunk": claim.chunk,
                "documents": len(results),
                "seconds": round(time.perf_counter() - started, 3),
                "worker_id": self.worker_id,
            },
        )
        return True

    def _finished(self, job_id: str) -> None:
        """Run the job's completion hook, if any; its failure is logged, never the worker's."""
        if self._on_finished is None:
            return
        try:
            self._on_finished(job_id)
        except Exception as err:
            log.exception(
                "job.on_finished_failed", extra={"job_id": job_id, "error_type": type(err).__name__}
            )

    def sweep_expired(self) -> None:
        """Delete the jobs past their retention period: their tenant's, else the deployment's."""
        days = self.settings.tenant_retention_days
        self.store.sweep_expired(
            self.settings.retention_days * DAY_SECONDS,
            {tenant: period * DAY_SECONDS for tenant, period in days.items()},
        )

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; an idle worker polls, a database hiccup is retried."""
        log.info("worker.started", extra={"worker_id": self.worker_id})
        while not stop.is_set():
            try:
                worked = self.run_once()
                if not worked:
                    self.store.settle_stopping()
                    self.store.sweep_abandoned(self.settings.job_abandoned_ingest_seconds)
                    self.sweep_expired()
            except SQLAlchemyError as err:
                log.warning("worker.database_error", extra={"error_type": type(err).__name__})
                worked = False
            if not worked:
                stop.wait(self.settings.job_poll_seconds)
        log.info("worker.stopped", extra={"worker_id": self.worker_id})


class WorkerThread:
    """The in-process worker of `voc serve`: one daemon thread on the service's models."""

    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        models: ActiveModels,
        on_finished: Callable[[str], None] | None = None,
    ) -> None:
        self.worker = Worker(
            store, settings, analyzer=lambda: models.analyzer, on_finished=on_finished
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.worker.run, args=(self._stop,), name="voc-job-worker", daemon=True
        )
        self._thread.start()

    def close(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout)
