"""The job store: jobs, their documents, chunks and results, in the database (SQLAlchemy Core).

A job's documents are split into chunks when they arrive. A worker claims one chunk at a
time (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers never wait on each other; everywhere:
a compare-and-set on the chunk row) under a lease it renews by heartbeat. It commits the
chunk's results, its `done` mark and the job's counters in one transaction, guarded by its
ownership of the chunk. So a worker killed at any moment loses at most the chunk in hand,
which is claimed again when its lease expires, and a result is never written twice. Leases
(and the ingest's `received_at`) are set and compared by the database's clock
(`voc.storage.clock`), so workers on machines whose clocks disagree still agree on them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from voc.jobs import deletions
from voc.jobs.ingest import IngestError, Row
from voc.jobs.types import FINISHED, RECEIVING, RUNNABLE, ResultRow
from voc.nlp.batch import feedback_to_json
from voc.nlp.pii import detect, mask
from voc.nlp.pii.metadata import redact_metadata
from voc.storage import DEFAULT_TENANT, metadata, owned_by, tenant_column_value
from voc.storage.clock import db_now

log = logging.getLogger(__name__)

INSERT_BATCH = 1000
COMMIT_EVERY = 10_000

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(24), nullable=False),
    Column("options", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("warnings", Text, nullable=False, default="[]"),
    Column("idempotency_key", String(200), unique=True),
    Column("fingerprint", String(64)),
    Column("total", Integer, nullable=False, default=0),
    Column("done", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("error", Text),
    Column("tenant", String(64), comment="who submitted it; NULL: the default tenant"),
    Column(
        "received_at",
        Float,
        comment="when the ingest last committed rows; a RECEIVING job whose ingest stops "
        "committing was abandoned by a dead process (`sweep_abandoned`)",
    ),
    Column(
        "erased",
        Integer,
        comment="documents removed by customer erasures; NULL: none (reports cached by any "
        "process are keyed on it)",
    ),
)
Index("ix_jobs_created_at", jobs.c.created_at)

job_documents = Table(
    "job_documents",
    metadata,
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("chunk", Integer, nullable=False),
    Column("doc_id", String(200)),
    Column("body", Text, comment="the validated document as JSON; NULL when refused"),
    Column("error_code", String(64)),
    Column("error_message", Text),
)
Index("ix_job_documents_chunk", job_documents.c.job_id, job_documents.c.chunk)

job_chunks = Table(
    "job_chunks",
    metadata,
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("chunk", Integer, primary_key=True, autoincrement=False),
    Column("state", String(16), nullable=False, default="pending"),
    Column("owner", String(64)),
    Column("lease_until", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("model_versions", Text, comment="JSON: the versions that analysed the chunk"),
)
Index("ix_job_chunks_state", job_chunks.c.state, job_chunks.c.job_id, job_chunks.c.chunk)

job_results = Table(
    "job_results",
    metadata,
    Column("job_id", String(32), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("doc_id", String(200)),
    Column("body", Text, comment="the analysis as JSON (the /v1/analyze shape); NULL on error"),
    Column("error_code", String(64)),
    Column("error_message", Text),
)


class IdempotencyConflict(ValueError):
    """The Idempotency-Key was used before for a different request."""


class JobNotReady(RuntimeError):
    """The job under this Idempotency-Key is still being received."""


@dataclass(frozen=True)
class StoredDocument:
    position: int
    doc_id: str | None
    body: dict[str, Any] | None
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class Claim:
    """A chunk held by one worker under a lease."""

    job_id: str
    chunk: int
    owner: str
    options: dict[str, Any]
    documents: list[StoredDocument]


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    options: dict[str, Any]
    source: dict[str, Any]
    warnings: list[str]
    total: int
    done: int
    failed: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    error: str | None
    tenant: str = DEFAULT_TENANT
    erased: int = 0
    """How many of its documents customer erasures removed."""
    replayed: bool = field(default=False, compare=False)
    model_versions: tuple[dict[str, str], ...] = ()
    """The model versions that analysed its chunks, each distinct set once in chunk order
    (more than one when an activation happened while the job ran)."""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def _job(row: Any, *, replayed: bool = False) -> Job:
    return Job(
        id=row.id,
        status="SUBMITTED" if row.status == RECEIVING else row.status,
        options=json.loads(row.options),
        source=json.loads(row.source),
        warnings=json.loads(row.warnings),
        total=row.total,
        done=row.done,
        failed=row.failed,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        tenant=row.tenant or DEFAULT_TENANT,
        erased=row.erased or 0,
        replayed=replayed,
    )


def _model_versions(conn: Any, job_ids: list[str]) -> dict[str, tuple[dict[str, str], ...]]:
    """Per job, each distinct set of versions its analysed chunks record, in chunk order."""
    rows = conn.execute(
        select(job_chunks.c.job_id, job_chunks.c.model_versions)
        .where(job_chunks.c.job_id.in_(job_ids), job_chunks.c.model_versions.is_not(None))
        .order_by(job_chunks.c.job_id, job_chunks.c.chunk)
    ).all()
    seen: dict[str, dict[str, None]] = {}
    for job_id, versions in rows:
        seen.setdefault(job_id, {})[versions] = None
    return {job_id: tuple(json.loads(v) for v in found) for job_id, found in seen.items()}


def _claimable():
    """Chunks no worker holds: pending, or claimed under a lease the database's clock has
    passed (`voc.storage.clock`: workers on other machines may disagree about the time)."""
    return or_(
        job_chunks.c.state == "pending",
        and_(job_chunks.c.state == "claimed", job_chunks.c.lease_until < db_now()),
    )


class JobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- submitting ----------------------------------------------------------------------

    def create(
        self,
        rows: Iterable[Row],
        *,
        options: dict[str, Any],
        source: dict[str, Any],
        chunk_size: int,
        warnings: list[str] | None = None,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> Job:
        """Store a job and stream its rows in; it becomes claimable only once all are stored.

        With an `idempotency_key` seen before, returns that job (`replayed`) when the
        fingerprint matches and raises `IdempotencyConflict` when it does not.
        """
        if idempotency_key:  # keys are per tenant: another's key never finds your job
            digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
            idempotency_key = f"{tenant}:{digest}"
        if idempotency_key:
            existing = self._by_key(idempotency_key, fingerprint)
            if existing is not None:
                return existing
        job_id, now = uuid.uuid4().hex, time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(jobs).values(
                        id=job_id,
                        status=RECEIVING,
                        options=json.dumps(options),
                        source=json.dumps(source),
                        warnings=json.dumps(warnings or []),
                        idempotency_key=idempotency_key,
                        fingerprint=fingerprint,
                        tenant=tenant_column_value(tenant),
                        created_at=now,
                        received_at=db_now(),
                    )
                )
        except IntegrityError:
            existing = self._by_key(idempotency_key or "", fingerprint)
            if existing is None:
                raise
            return existing
        try:
            total = self._store_rows(job_id, rows, chunk_size, options.get("redact") or "none")
            if total == 0:
                raise IngestError("EmptyFile", "the input has no rows (a header alone is not data)")
        except BaseException:
            self.delete(job_id)
            raise
        with self.engine.begin() as conn:
            conn.execute(
                update(jobs).where(jobs.c.id == job_id).values(status="SUBMITTED", total=total)
            )
        job = self.get(job_id)
        if job is None:
            raise RuntimeError(f"job {job_id} vanished while it was being stored")
        return job

    def _by_key(self, key: str, fingerprint: str | None) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.idempotency_key == key)).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used for a different request (job "
                f"{row.id}); send a new key for a new job"
            )
        if row.status == RECEIVING:
            raise JobNotReady(f"job {row.id} under this Idempotency-Key is still being received")
        return _job(row, replayed=True)

    def _store_rows(self, job_id: str, rows: Iterable[Row], chunk_size: int, redact: str) -> int:
        position, documents, chunks = 0, [], []
        conn = self.engine.connect()
        try:
            transaction = conn.begin()
            for row in rows:
                if position % chunk_size == 0:
                    chunks.append({"job_id": job_id, "chunk": position // chunk_size})
                documents.append(
                    _document_row(job_id, position, position // chunk_size, row, redact)
                )
                position += 1
                if len(documents) >= INSERT_BATCH:
                    _flush(conn, documents, chunks)
                if position % COMMIT_EVERY == 0:
                    _mark_received(conn, job_id)
                    transaction.commit()
                    transaction = conn.begin()
            _flush(conn, documents, chunks)
            transaction.commit()
        finally:
            conn.close()
        return position

    def sweep_abandoned(self, timeout_seconds: float) -> int:
        """Delete RECEIVING jobs whose ingest has not committed for `timeout_seconds`: the
        process storing them died, so they would never run and would hold their
        Idempotency-Key forever. Returns how many were deleted."""
        with self.engine.connect() as conn:
            abandoned = list(
                conn.execute(
                    select(jobs.c.id).where(
                        jobs.c.status == RECEIVING,
                        func.coalesce(jobs.c.received_at, jobs.c.created_at)
                        < db_now() - timeout_seconds,
                    )
                ).scalars()
            )
        for job_id in abandoned:
            self.delete(job_id)
            log.warning("job.abandoned_ingest_deleted", extra={"job_id": job_id})
        return len(abandoned)

    def delete(
        self, job_id: str, *, kind: str | None = None, actor: str | None = None
    ) -> dict[str, int]:
        """Delete a job with its documents, chunks and results; returns the rows removed per
        table. With `kind` ("job", "retention") the deletion is recorded (`voc.jobs.deletions`)."""
        removed: dict[str, int] = {}
        with self.engine.begin() as conn:
            owner = conn.execute(select(jobs.c.tenant).where(jobs.c.id == job_id)).scalar()
            for table in (job_results, job_documents, job_chunks, jobs):
                key = table.c.id if table is jobs else table.c.job_id
                removed[table.name] = conn.execute(delete(table).where(key == job_id)).rowcount
            if kind is not None and removed["jobs"]:
                deletions.record(conn, kind, job_id, removed, actor, tenant=owner or DEFAULT_TENANT)
        return removed

    def sweep_expired(
        self, retention_seconds: float, tenant_retention_seconds: Mapping[str, float] | None = None
    ) -> int:
        """Delete every job older than its tenant's period: `tenant_retention_seconds[tenant]`
        for the tenants listed there, `retention_seconds` for every other tenant, the default
        one included (0: keep theirs). Returns how many jobs were deleted."""
        periods = dict(tenant_retention_seconds or {})
        now = time.time()
        expired_conditions = [
            and_(owned_by(jobs, tenant), jobs.c.created_at < now - seconds)
            for tenant, seconds in periods.items()
        ]
        if retention_seconds > 0:
            # NULL stores the default tenant: coalesce so that its rows count as unlisted too
            unlisted = func.coalesce(jobs.c.tenant, DEFAULT_TENANT).not_in(list(periods))
            expired_conditions.append(and_(unlisted, jobs.c.created_at < now - retention_seconds))
        if not expired_conditions:
            return 0
        with self.engine.connect() as conn:
            expired = list(
                conn.execute(select(jobs.c.id).where(or_(*expired_conditions))).scalars()
            )
        for job_id in expired:
            self.delete(job_id, kind="retention")
        if expired:
            log.info("jobs.retention_deleted", extra={"count": len(expired)})
        return len(expired)

    def erase_customer(self, customer_id: str, *, tenant: str) -> dict[str, Any]:
        """Delete every stored document (and its result) of `tenant`'s jobs whose metadata
        `customer_id` is `customer_id`; returns the rows removed and the jobs they belonged
        to, whose `erased` count grows by as many documents. Other tenants' documents are
        never touched: a customer id names a customer of one tenant."""
        needle = json.dumps({"customer_id": customer_id}, ensure_ascii=False)[1:-1]
        removed = {"job_documents": 0, "job_results": 0}
        touched: dict[str, int] = {}
        with self.engine.begin() as conn:
            candidates = conn.execute(
                select(job_documents.c.job_id, job_documents.c.position, job_documents.c.body)
                .join(jobs, jobs.c.id == job_documents.c.job_id)
                .where(
                    owned_by(jobs, tenant),
                    job_documents.c.body.contains(needle, autoescape=True),
                )
            ).all()
            for job_id, position, body in candidates:
                if json.loads(body).get("metadata", {}).get("customer_id") != customer_id:
                    continue
                for table in (job_results, job_documents):
                    removed[table.name] += conn.execute(
                        delete(table).where(table.c.job_id == job_id, table.c.position == position)
                    ).rowcount
                touched[job_id] = touched.get(job_id, 0) + 1
            for job_id, count in touched.items():
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(erased=func.coalesce(jobs.c.erased, 0) + count)
                )
        return {"removed": removed, "jobs": sorted(touched)}

    # -- working -------------------------------------------------------------------------

    def claim(self, owner: str, lease_seconds: float) -> Claim | None:
        """Take the oldest claimable chunk of a runnable job (or one whose lease expired)."""
        with self.engine.begin() as conn:
            candidate = conn.execute(
                select(job_chunks.c.job_id, job_chunks.c.chunk)
                .join(jobs, jobs.c.id == job_chunks.c.job_id)
                .where(jobs.c.status.in_(RUNNABLE), _claimable())
                .order_by(jobs.c.created_at, job_chunks.c.chunk)
                .limit(1)
                .with_for_update(skip_locked=True, of=job_chunks)
            ).first()
            if candidate is None:
                return None
            key = and_(
                job_chunks.c.job_id == candidate.job_id, job_chunks.c.chunk == candidate.chunk
            )
            taken = conn.execute(
                update(job_chunks)
                .where(key, _claimable())
                .values(
                    state="claimed",
                    owner=owner,
                    lease_until=db_now() + lease_seconds,
                    attempts=job_chunks.c.attempts + 1,
                )
            )
            if taken.rowcount != 1:
                return None
            conn.execute(
                update(jobs)
                .where(jobs.c.id == candidate.job_id, jobs.c.status == "SUBMITTED")
                .values(status="IN_PROGRESS", started_at=time.time())
            )
            options = conn.execute(
                select(jobs.c.options).where(jobs.c.id == candidate.job_id)
            ).scalar_one()
            documents = conn.execute(
                select(job_documents)
                .where(
                    job_documents.c.job_id == candidate.job_id,
                    job_documents.c.chunk == candidate.chunk,
                )
                .order_by(job_documents.c.position)
            ).all()
        return Claim(
            job_id=candidate.job_id,
            chunk=candidate.chunk,
            owner=owner,
            options=json.loads(options),
            documents=[
                StoredDocument(
                    d.position,
                    d.doc_id,
                    json.loads(d.body) if d.body is not None else None,
                    d.error_code,
                    d.error_message,
                )
                for d in documents
            ],
        )

    def heartbeat(self, claim: Claim, lease_seconds: float) -> bool:
        """Extend the lease; False when the chunk is no longer this worker's."""
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(job_chunks)
                .where(*self._owned(claim))
                .values(lease_until=db_now() + lease_seconds)
            )
        return renewed.rowcount == 1

    def complete(
        self,
        claim: Claim,
        results: list[ResultRow],
        model_versions: dict[str, str] | None = None,
    ) -> bool:
        """Commit a chunk's results (and the model versions that computed them), its done mark
        and the job's counters in one transaction.

        False (and nothing written) when the lease was lost to another worker.
        """
        failed = sum(r.error_code is not None for r in results)
        with self.engine.begin() as conn:
            marked = conn.execute(
                update(job_chunks)
                .where(*self._owned(claim))
                .values(
                    state="done",
                    owner=None,
                    lease_until=None,
                    model_versions=None if model_versions is None else json.dumps(model_versions),
                )
            )
            if marked.rowcount != 1:
                conn.rollback()
                return False
            if results:
                conn.execute(
                    insert(job_results),
                    [
                        {
                            "job_id": claim.job_id,
                            "position": r.position,
                            "doc_id": r.doc_id,
                            "body": None
                            if r.body is None
                            else json.dumps(r.body, ensure_ascii=False),
                            "error_code": r.error_code,
                            "error_message": r.error_message,
                        }
                        for r in results
                    ],
                )
            conn.execute(
                update(jobs)
                .where(jobs.c.id == claim.job_id)
                .values(done=jobs.c.done + len(results) - failed, failed=jobs.c.failed + failed)
            )
            _redact_documents(conn, claim)
        return True

    @staticmethod
    def _owned(claim: Claim) -> tuple:
        return (
            job_chunks.c.job_id == claim.job_id,
            job_chunks.c.chunk == claim.chunk,
            job_chunks.c.state == "claimed",
            job_chunks.c.owner == claim.owner,
        )

    def settle(self, job_id: str) -> bool:
        """Finish the job when every chunk is done, or stop it once no chunk is in hand; True
        when this call ended it (of concurrent calls, exactly one does)."""
        now = time.time()
        pending = exists().where(job_chunks.c.job_id == job_id, job_chunks.c.state != "done")
        in_hand = exists().where(
            job_chunks.c.job_id == job_id,
            job_chunks.c.state == "claimed",
            job_chunks.c.lease_until >= db_now(),
        )
        with self.engine.begin() as conn:
            finished = conn.execute(
                update(jobs)
                .where(
                    jobs.c.id == job_id,
                    jobs.c.status.in_((*RUNNABLE, "STOP_REQUESTED")),
                    ~pending,
                )
                .values(
                    status=case(
                        (jobs.c.failed == 0, "COMPLETED"),
                        (jobs.c.done == 0, "FAILED"),
                        else_="PARTIALLY_COMPLETED",
                    ),
                    error=case(
                        (
                            and_(jobs.c.done == 0, jobs.c.failed > 0),
                            "every document was refused; see the error lines in the results",
                        ),
                        else_=None,
                    ),
                    finished_at=now,
                )
            )
            stopped = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == "STOP_REQUESTED", ~in_hand)
                .values(status="STOPPED", finished_at=now)
            )
        return bool(finished.rowcount or stopped.rowcount)

    def settle_stopping(self) -> None:
        """Stop jobs whose stop was requested while a now-dead worker held one of their chunks."""
        with self.engine.connect() as conn:
            stopping = conn.execute(
                select(jobs.c.id).where(jobs.c.status == "STOP_REQUESTED")
            ).scalars()
            job_ids = list(stopping)
        for job_id in job_ids:
            self.settle(job_id)

    def request_stop(self, job_id: str) -> Job | None:
        with self.engine.begin() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status.in_(RUNNABLE))
                .values(status="STOP_REQUESTED")
            )
        self.settle(job_id)
        return self.get(job_id)

    # -- reading -------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
            if row is None:
                return None
            versions = _model_versions(conn, [job_id])
        return replace(_job(row), model_versions=versions.get(job_id, ()))

    def list(
        self, *, limit: int = 50, status: str | None = None, tenant: str = DEFAULT_TENANT
    ) -> list[Job]:
        query = select(jobs).where(jobs.c.status != RECEIVING, owned_by(jobs, tenant))
        if status:
            query = query.where(jobs.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(jobs.c.created_at.desc()).limit(limit)).all()
            versions = _model_versions(conn, [row.id for row in rows])
        return [replace(_job(row), model_versions=versions.get(row.id, ())) for row in rows]

    def analysed_documents(self, job_id: str, *, page: int = 1000) -> Iterator[dict[str, Any]]:
        """Committed results with their document's text and metadata (what a report reads),
        in input order, page by page."""
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(job_results.c.position, job_results.c.body, job_documents.c.body)
                    .join(
                        job_documents,
                        and_(
                            job_documents.c.job_id == job_results.c.job_id,
                            job_documents.c.position == job_results.c.position,
                        ),
                    )
                    .where(
                        job_results.c.job_id == job_id,
                        job_results.c.position > after,
                        job_results.c.body.is_not(None),
                    )
                    .order_by(job_results.c.position)
                    .limit(page)
                ).all()
            for _, result, document in rows:
                source = json.loads(document)
                yield {
                    **json.loads(result),
                    "text": source["text"],
                    "metadata": source.get("metadata", {}),
                }
            if len(rows) < page:
                return
            after = rows[-1].position

    def results(self, job_id: str, *, page: int = 1000) -> Iterator[ResultRow]:
        """Committed results in input order, read page by page (a short transaction each)."""
        after = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(job_results)
                    .where(job_results.c.job_id == job_id, job_results.c.position > after)
                    .order_by(job_results.c.position)
                    .limit(page)
                ).all()
            for r in rows:
                yield ResultRow(
                    r.position,
                    r.doc_id,
                    json.loads(r.body) if r.body is not None else None,
                    r.error_code,
                    r.error_message,
                )
            if len(rows) < page:
                return
            after = rows[-1].position

    def result_count(self, job_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(job_results).where(job_results.c.job_id == job_id)
            ).scalar_one()


def _document_row(job_id: str, position: int, chunk: int, row: Row, redact: str) -> dict[str, Any]:
    """A row as stored. Its metadata is redacted now (the analysis reads only its score and
    touchpoint, never personal data); its text once its chunk is analysed."""
    if row.feedback is not None:
        body = feedback_to_json(row.feedback)
        if "metadata" in body:
            body["metadata"] = redact_metadata(body["metadata"], redact)
        return {
            "job_id": job_id,
            "position": position,
            "chunk": chunk,
            "doc_id": row.feedback.id,
            "body": json.dumps(body, ensure_ascii=False),
            "error_code": None,
            "error_message": None,
        }
    error = row.error
    if error is None:
        raise ValueError("a Row holds either feedback or an error")
    return {
        "job_id": job_id,
        "position": position,
        "chunk": chunk,
        "doc_id": error.id,
        "body": None,
        "error_code": error.code,
        "error_message": error.message,
    }


def _redact_documents(conn: Any, claim: Claim) -> None:
    """Once a chunk is analysed, its stored texts are redacted as the job asks: the analysis
    read the original, nothing after it (report, export, later reads) needs it."""
    mode = claim.options.get("redact") or "none"
    if mode == "none":
        return
    where = (job_documents.c.job_id == claim.job_id, job_documents.c.chunk == claim.chunk)
    rows = conn.execute(
        select(job_documents.c.position, job_documents.c.body).where(
            *where, job_documents.c.body.is_not(None)
        )
    ).all()
    for position, body in rows:
        document = json.loads(body)
        text = document.get("text") or ""
        kept = mask(text, detect(text))[0] if mode == "mask" else ""
        if kept != text:
            conn.execute(
                update(job_documents)
                .where(*where, job_documents.c.position == position)
                .values(body=json.dumps({**document, "text": kept}, ensure_ascii=False))
            )


def _mark_received(conn: Any, job_id: str) -> None:
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(received_at=db_now()))


def _flush(conn: Any, documents: list[dict[str, Any]], chunks: list[dict[str, Any]]) -> None:
    if chunks:
        conn.execute(insert(job_chunks), chunks)
        chunks.clear()
    if documents:
        conn.execute(insert(job_documents), documents)
        documents.clear()
