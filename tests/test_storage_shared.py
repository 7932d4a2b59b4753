"""The two storage primitives processes share through the database, on SQLite and PostgreSQL:
a key's token bucket (`voc.storage.rate_limits`) and a claim under a lease
(`voc.storage.leases`), each decided by one statement."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from voc.alerts.service import alerts_table
from voc.storage import create_schema, leases, make_engine
from voc.storage.rate_limits import take_token


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_engine")
    engine = make_engine(f"sqlite:///{tmp_path / 'voc.sqlite3'}", durable=False)
    create_schema(engine)
    return engine


def test_a_bucket_refills_at_its_rate_up_to_its_burst(engine):
    now = time.time()
    taken = [take_token(engine, "k", rate=2.0, burst=3.0, now=now) for _ in range(4)]
    assert taken[:3] == [0.0, 0.0, 0.0] and taken[3] == pytest.approx(0.5)
    assert take_token(engine, "other", rate=2.0, burst=3.0, now=now) == 0.0
    assert take_token(engine, "k", rate=2.0, burst=3.0, now=now + 0.5) == 0.0
    assert take_token(engine, "k", rate=2.0, burst=3.0, now=now + 0.5) == pytest.approx(0.5)
    later = now + 60  # refilled to the burst, not beyond
    assert [take_token(engine, "k", rate=2.0, burst=3.0, now=later) for _ in range(4)][3] > 0
    assert take_token(engine, "k", rate=2.0, burst=3.0, now=now) > 0  # a clock behind: no refill


def test_one_claim_at_a_time_until_its_lease_ends(engine):
    now = time.time()
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

    def claim(owner: str, at: float) -> bool:
        with engine.begin() as connection:
            return leases.claim(
                connection, alerts_table, "msg_1", owner=owner, until=at + 10, now=at
            )

    assert claim("a", now) and not claim("b", now + 5)
    assert claim("a", now + 5)  # the holder extends it: now until now + 15
    assert not claim("b", now + 14) and claim("b", now + 16)
    with engine.begin() as connection:
        assert leases.release_all(connection, alerts_table, "b") == 1
    assert claim("a", now + 16)
