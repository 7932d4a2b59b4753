"""Jobs on a real PostgreSQL: SKIP LOCKED claims, and several `voc worker` processes on one job."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from voc.config import Limits
from voc.jobs.ingest import read_documents
from voc.jobs.store import JobStore, job_chunks, job_results

TEXTS = [
    "The parcel arrived two weeks late.",
    "Livraison rapide, merci beaucoup !",
    "Pesanan sampai tepat waktu, mantap.",
    "Servis pelanggan teruk, saya kecewa.",
]


def make_job(store: JobStore, count: int, *, chunk_size: int, features=("language",)):
    documents = [{"id": f"d{i}", "text": f"{TEXTS[i % 4]} #{i}"} for i in range(count)]
    return store.create(
        read_documents(documents, Limits()),
        options={"features": list(features)},
        source={"kind": "json"},
        chunk_size=chunk_size,
    )


def test_skip_locked_lets_a_claim_pass_a_locked_chunk(postgres_engine):
    store = JobStore(postgres_engine)
    job = make_job(store, 30, chunk_size=10)
    with postgres_engine.connect() as other:
        transaction = other.begin()
        other.execute(
            select(job_chunks)
            .where(job_chunks.c.job_id == job.id, job_chunks.c.chunk == 0)
            .with_for_update()
        ).all()
        started = time.monotonic()
        claim = store.claim("w1", 30)
        assert time.monotonic() - started < 2
        assert claim is not None and claim.chunk == 1
        transaction.rollback()
    assert store.claim("w2", 30).chunk == 0


@pytest.mark.slow
def test_several_workers_share_one_job_safely(postgres_engine, start_worker):
    store = JobStore(postgres_engine)
    job = make_job(store, 3000, chunk_size=50)
    url = postgres_engine.url.render_as_string(hide_password=False)
    workers = [start_worker(url, name="pg") for _ in range(3)]
    deadline = time.monotonic() + 300
    while not store.get(job.id).finished:
        assert time.monotonic() < deadline, "the job did not finish in 300 s"
        assert all(w.poll() is None for w in workers), "a worker died"
        time.sleep(0.5)
    finished = store.get(job.id)
    assert finished.status == "COMPLETED"
    assert (finished.done, finished.failed) == (3000, 0)
    with postgres_engine.connect() as conn:
        rows = conn.execute(
            select(job_results.c.position, job_results.c.doc_id).where(
                job_results.c.job_id == job.id
            )
        ).all()
        attempts = conn.execute(
            select(job_chunks.c.attempts).where(job_chunks.c.job_id == job.id)
        ).scalars()
        assert set(attempts) == {1}, "a chunk was claimed twice"
    assert sorted(r.position for r in rows) == list(range(3000))
    assert len({r.doc_id for r in rows}) == 3000
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=30)
    done_by = Counter()
    for worker in workers:
        for line in Path(worker.log_path).read_text(encoding="utf-8").splitlines():
            if line.startswith("{") and '"job.chunk_done"' in line:
                done_by[json.loads(line)["worker_id"]] += 1
    assert sum(done_by.values()) == 60
    assert len(done_by) >= 2, f"one worker did everything: {done_by}"
