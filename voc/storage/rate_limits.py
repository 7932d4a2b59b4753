"""Token buckets kept in the database, so a rate limit holds across every process sharing it.

One row per key: the tokens left and when they were counted (epoch seconds). Taking a token is
one `INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING` (SQLite >= 3.35, PostgreSQL):
the refill, the check and the take happen in one statement, so two processes never spend the
same token. The times are the database's clock (`voc.storage.clock`), read inside that
statement: processes whose own clocks disagree neither refill a bucket early nor starve it.
A row counted after now (the database's clock stepped back) refills nothing rather than
draining.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    String,
    Table,
    bindparam,
    case,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from voc.storage import metadata
from voc.storage.clock import db_now

rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("counted_at", Float, nullable=False),
)


def take_token(engine: Engine, key: str, *, rate: float, burst: float) -> float:
    """Take one of `key`'s tokens (refilled at `rate` per second up to `burst`): 0 when taken,
    else the seconds until one will be there (nothing is taken then)."""
    values = {"key": key, "rate": rate, "burst": burst, "first": burst - 1}
    table = rate_buckets
    with engine.begin() as connection:
        if connection.execute(_take(engine.dialect.name), values).first() is not None:
            return 0.0
        tokens, counted_at, now = connection.execute(
            select(table.c.tokens, table.c.counted_at, db_now()).where(table.c.key == key)
        ).one()
    return (1 - min(burst, tokens + max(0.0, now - counted_at) * rate)) / rate


def forget(connection: Connection, key: str) -> None:
    """Drop `key`'s bucket (its key was revoked: nothing will spend from it again)."""
    connection.execute(delete(rate_buckets).where(rate_buckets.c.key == key))


@cache
def _take(dialect: str) -> Executable:
    """The UPSERT, built once per dialect with its values as parameters: a request spends
    its time executing it, not building it (0.33 ms a call built each time, on SQLite)."""
    table = rate_buckets
    rate, burst = bindparam("rate", type_=Float), bindparam("burst", type_=Float)
    now = db_now()
    elapsed = case((table.c.counted_at < now, now - table.c.counted_at), else_=0.0)
    grown = table.c.tokens + elapsed * rate
    refilled = case((grown > burst, burst), else_=grown)  # CASE: portable, unlike LEAST/MIN
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        upsert(table)
        .values(key=bindparam("key"), tokens=bindparam("first", type_=Float), counted_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"tokens": refilled - 1, "counted_at": now},
            where=refilled >= 1,
        )
        .returning(table.c.tokens)
    )
