"""The storage primitives processes share through the database, on SQLite and PostgreSQL:
a key's token bucket (`voc.storage.rate_limits`) and a claim under a lease
(`voc.storage.leases`, and the job store's chunk leases), each decided by one statement, by
the database's clock; and the schema every process creates at start."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, inspect, select, text

from voc.alerts.service import alerts_table
from voc.config import Limits
from voc.jobs.ingest import read_documents
from voc.jobs.store import JobStore
from voc.service.auth import RateLimiter
from voc.storage import create_schema, leases, make_engine, metadata
from voc.storage.rate_limits import take_token

_TRUE_TIME = time.time


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_engine")
    engine = make_engine(f"sqlite:///{tmp_path / 'voc.sqlite3'}", durable=False)
    create_schema(engine)
    return engine


def test_a_bucket_refills_at_its_rate_up_to_its_burst(engine):
    def take(key: str = "k") -> float:
        return take_token(engine, key, rate=2.0, burst=3.0)

    taken = [take() for _ in range(4)]
    assert taken[:3] == [0.0, 0.0, 0.0] and 0 < taken[3] <= 0.5
    assert take("other") == 0.0
    time.sleep(0.5)
    assert take() == 0.0
    assert 0 < take() <= 0.5
    time.sleep(2.0)  # refilled to the burst (1.5 s), not beyond
    assert [take() for _ in range(4)][3] > 0


def test_one_claim_at_a_time_until_its_lease_ends(engine):
    with engine.begin() as connection:
        connection.execute(
            insert(alerts_table).values(
                id="msg_1",
                rule_id="r",
                document_id="d",
                status="pending",
                attempts=0,
                payload="{}",
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )

    def claim(owner: str, seconds: float) -> bool:
        with engine.begin() as connection:
            return leases.claim(connection, alerts_table, "msg_1", owner=owner, seconds=seconds)

    def claimed_until() -> float:
        with engine.connect() as connection:
            return connection.execute(select(alerts_table.c.claimed_until)).scalar_one()

    assert claim("a", 1.5) and not claim("b", 10)
    first_end = claimed_until()
    assert claim("a", 1.5) and claimed_until() > first_end  # the holder extends it
    time.sleep(1.6)
    assert claim("b", 10) and not claim("a", 10)
    with engine.begin() as connection:
        assert leases.release_all(connection, alerts_table, "b") == 1
    assert claim("a", 10)


def _skew_process_clock(monkeypatch, seconds: float) -> None:
    """This process's clock runs `seconds` ahead of the database's (behind when negative), as
    a worker's on another machine may."""
    monkeypatch.setattr(time, "time", lambda: _TRUE_TIME() + seconds)


def test_a_chunk_lease_runs_by_the_database_clock_not_the_workers(engine, monkeypatch):
    """Workers on machines whose clocks disagree still agree on whose lease has run out: the
    database's clock sets and compares each lease's end."""
    store = JobStore(engine)
    store.create(
        read_documents([{"id": "a", "text": "Pesanan sampai tepat waktu."}], Limits()),
        options={"features": ["language"]},
        source={"kind": "json"},
        chunk_size=10,
    )
    assert store.claim("w1", 1.5) is not None
    _skew_process_clock(monkeypatch, 3600)
    assert store.claim("ahead", 30) is None  # its clock is past the lease, the database's is not
    time.sleep(1.6)
    _skew_process_clock(monkeypatch, -3600)
    taken = store.claim("behind", 30)  # its clock is before the lease's end, the database's past
    assert taken is not None and taken.chunk == 0


@pytest.mark.parametrize("database", ["new", "older"])
def test_processes_starting_together_all_create_the_schema(engine, database):
    """Servers and workers starting at once on one database each create (or upgrade) its
    schema: none fails on a table, type or column another is creating at the same moment."""
    metadata.drop_all(engine)
    if database == "older":  # as an older voc left it: tables without the lease columns
        metadata.create_all(engine)
        with engine.begin() as connection:
            for column in ("claimed_by", "claimed_until"):
                connection.execute(text(f"ALTER TABLE alerts DROP COLUMN {column}"))
    starters = 8
    barrier = threading.Barrier(starters)

    def start() -> None:
        own = make_engine(engine.url.render_as_string(hide_password=False))
        barrier.wait()
        try:
            create_schema(own)
        finally:
            own.dispose()

    with ThreadPoolExecutor(starters) as pool:
        for started in [pool.submit(start) for _ in range(starters)]:
            started.result()
    schema = inspect(engine)
    assert set(schema.get_table_names()) >= set(metadata.tables)
    assert {"claimed_by", "claimed_until"} <= {c["name"] for c in schema.get_columns("alerts")}


def test_a_rate_limit_counts_by_the_database_clock_not_the_servers(engine, monkeypatch):
    """Servers on machines whose clocks disagree share a key's bucket: one whose clock runs
    ahead gets no tokens the bucket has not earned, one whose clock runs behind is not
    refused the tokens it has."""
    limiter = RateLimiter(engine, rate=2.0, burst=2.0)
    assert [limiter.wait("k"), limiter.wait("k")] == [0.0, 0.0]
    _skew_process_clock(monkeypatch, 3600)
    assert limiter.wait("k") > 0  # an hour ahead: still empty
    time.sleep(0.6)  # a token earned (0.5 s)
    _skew_process_clock(monkeypatch, -3600)
    assert limiter.wait("k") == 0.0  # an hour behind: the token is there
    assert limiter.wait("k") > 0
