"""Reliability: `voc worker` killed with SIGKILL at random points loses and duplicates nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from voc.config import Limits, Settings
from voc.jobs.ingest import read_documents
from voc.jobs.offline import chunks_of
from voc.jobs.output import jsonl_lines
from voc.jobs.store import (
    COMMIT_EVERY,
    JobNotReady,
    JobStore,
    job_documents,
    job_results,
    jobs,
)
from voc.jobs.worker import Worker, analyze_rows
from voc.storage import make_engine, metadata

JOBS = 20
DOCUMENTS = 5000
CHUNK = 100
LEASE_SECONDS = 2
TEXTS = [
    "The parcel arrived two weeks late and nobody answered.",
    "Livraison rapide, produit conforme, merci beaucoup !",
    "Pesanan sampai tepat waktu, penjualnya ramah.",
    "Servis pelanggan teruk, saya nak batalkan langganan.",
    "Great app but it crashes every time I try to pay.",
]


def documents() -> list[dict]:
    docs = [{"id": f"c-{i}", "text": f"{TEXTS[i % 5]} (#{i})"} for i in range(DOCUMENTS)]
    docs[1234]["text"] = "   "  # two refused rows: the job ends PARTIALLY_COMPLETED
    docs[4321]["text"] = "bad \x00 byte"
    return docs


def _working(worker) -> bool:
    """The worker has loaded its models and entered its loop."""
    return '"worker.started"' in Path(worker.log_path).read_text(encoding="utf-8")


def _reached(state, target: float) -> bool:
    """The job is running and has at least `target` documents done (or is already over)."""
    return state.finished or (state.status != "SUBMITTED" and state.done + state.failed >= target)


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing(tmp_path, start_worker, analyzer):
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    store = JobStore(engine)
    options = {"features": ["language"]}
    rows = list(read_documents(documents(), Limits()))
    uninterrupted = [
        line
        for chunk in chunks_of(rows, CHUNK)
        for line in jsonl_lines(analyze_rows(analyzer, chunk, options))
    ]
    submitted = [
        store.create(
            read_documents(documents(), Limits()),
            options=options,
            source={"kind": "json"},
            chunk_size=CHUNK,
        )
        for _ in range(JOBS)
    ]
    rng = random.Random(20261130)
    start = partial(start_worker, url, lease_seconds=LEASE_SECONDS, name="worker")
    # A standby worker loads its models while the victim works, so restarts overlap the work.
    victim, standby = start(), start()
    killed_mid_job = 0
    for job in submitted:
        # The kill point is a random fraction of the job's progress, not a wall-clock delay:
        # a fast machine finishes a job within any fixed delay and the kill would miss it.
        target = rng.uniform(0, 0.9) * DOCUMENTS
        deadline = time.monotonic() + 300
        while not _reached(store.get(job.id), target) or not _working(victim):
            assert victim.poll() is None, "the worker died by itself"
            assert time.monotonic() < deadline, "no worker picked the job up"
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        # One statement, one snapshot: the standby worker keeps committing chunks meanwhile.
        stored = select(func.count()).where(job_results.c.job_id == job.id).scalar_subquery()
        with engine.connect() as conn:
            done, failed, results = conn.execute(
                select(jobs.c.done, jobs.c.failed, stored).where(jobs.c.id == job.id)
            ).one()
        killed_mid_job += 0 < done + failed < DOCUMENTS
        assert results == done + failed, "counters and results disagree"
        victim, standby = standby, start()

    deadline = time.monotonic() + 600
    while not all(store.get(job.id).finished for job in submitted):
        assert time.monotonic() < deadline, "the jobs did not finish"
        time.sleep(0.2)
    assert killed_mid_job >= JOBS // 2, f"only {killed_mid_job} kills landed inside a job"
    for job in submitted:
        final = store.get(job.id)
        assert final.status == "PARTIALLY_COMPLETED"
        assert (final.total, final.done, final.failed) == (DOCUMENTS, DOCUMENTS - 2, 2)
        results = list(store.results(job.id))
        assert [r.position for r in results] == list(range(DOCUMENTS))
        assert len({r.doc_id for r in results}) == DOCUMENTS
        assert list(jsonl_lines(results)) == uninterrupted


def test_an_ingest_killed_midway_is_swept_and_frees_its_idempotency_key(tmp_path):
    """A process that dies while storing a job's rows leaves it RECEIVING: an idle worker
    deletes it once its ingest has stopped committing, and the key can be used again."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    store = JobStore(engine)
    endless_ingest = (
        "import itertools\n"
        "from voc.config import Limits\n"
        "from voc.jobs.ingest import read_documents\n"
        "from voc.jobs.store import JobStore\n"
        "from voc.storage import make_engine\n"
        "docs = ({'id': str(i), 'text': 'Livraison rapide !'} for i in itertools.count())\n"
        f"JobStore(make_engine({url!r})).create(read_documents(docs, Limits()),\n"
        "    options={'features': ['language']}, source={'kind': 'json'}, chunk_size=100,\n"
        "    idempotency_key='upload-1', fingerprint='f')\n"
    )
    ingest = subprocess.Popen([sys.executable, "-c", endless_ingest])
    deadline = time.monotonic() + 120
    while _committed_documents(engine) < COMMIT_EVERY:  # at least one commit landed
        assert ingest.poll() is None, "the ingest process died by itself"
        assert time.monotonic() < deadline, "the ingest committed nothing"
        time.sleep(0.05)
    os.kill(ingest.pid, signal.SIGKILL)
    ingest.wait()
    with pytest.raises(JobNotReady):
        store.create(
            [], options={}, source={}, chunk_size=100, idempotency_key="upload-1", fingerprint="f"
        )
    assert store.list() == []  # a RECEIVING job is never listed

    settings = Settings.from_env(
        {"database_url": url, "job_abandoned_ingest_seconds": 1.0, "job_poll_seconds": 0.1}
    )
    worker = Worker(store, settings, analyzer=lambda: pytest.fail("nothing to analyse"))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while _committed_documents(engine):
            assert time.monotonic() < deadline, "the abandoned job was not swept"
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join()
    job = store.create(
        read_documents([{"id": "a", "text": "Livraison rapide !"}], Limits()),
        options={"features": ["language"]},
        source={"kind": "json"},
        chunk_size=100,
        idempotency_key="upload-1",
        fingerprint="f",
    )
    assert (job.status, job.total, job.replayed) == ("SUBMITTED", 1, False)


def _committed_documents(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(job_documents)).scalar_one()
