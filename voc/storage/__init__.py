"""The database voc stores into (SQLAlchemy): a SQLite file by default, PostgreSQL via
DATABASE_URL. The lowest layer above config: every store declares its tables on `metadata`,
and nothing here knows about Flask or models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url

from voc import paths

DEFAULT_TENANT = "default"
"""The tenant of rows stored without one: while the service runs open (no API key), and
everything stored before keys existed (their tenant column is NULL)."""


def owned_by(table: Table, tenant: str) -> ColumnElement[bool]:
    """The condition selecting `tenant`'s rows of a table with a `tenant` column."""
    column = table.c.tenant
    return column.is_(None) if tenant == DEFAULT_TENANT else column == tenant


def tenant_column_value(tenant: str) -> str | None:
    """What a row of `tenant` stores in its `tenant` column (NULL for the default tenant)."""
    return None if tenant == DEFAULT_TENANT else tenant


metadata = MetaData()
"""Every table voc stores. Feature modules declare theirs on it; `create_schema` creates them."""


def create_schema(engine: Engine) -> None:
    """Create missing tables, and add the nullable columns and the indexes a newer voc
    declares to the tables an older one created (the only schema changes voc makes: columns
    are never dropped). Servers and workers starting together on one database each call it:
    one at a time (`_schema_lock`), each seeing what those before it created."""
    with _schema_lock(engine) as conn:
        metadata.create_all(conn)
        existing = inspect(conn)
        for table in metadata.sorted_tables:
            present = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
            indexed = {i["name"] for i in existing.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in indexed:
                    index.create(conn)


_SCHEMA_LOCK_KEY = int.from_bytes(b"voc:ddl", "big")
"""The PostgreSQL advisory lock `create_schema` holds: any constant every voc agrees on."""


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the database's one schema lock from its start, committed at
    the end. Otherwise two processes both find a table (or column) missing and both create
    it, and the second fails (PostgreSQL: a duplicate `pg_type` row; SQLite: "already
    exists"). PostgreSQL: a transaction-level advisory lock, released by the commit; its DDL
    is transactional. SQLite: `BEGIN IMMEDIATE` takes the write lock before the first look
    (the driver's own BEGIN would come only before the first INSERT, none here), and the
    others wait for it as for any write (the engine's busy timeout)."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
            yield conn
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")  # the BEGIN below is ours
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")


def make_engine(database_url: str, *, durable: bool = True) -> Engine:
    """An engine on the database. `durable=False` is for counters that may lose their last
    writes to a power cut or an OS crash, never to a process dying (rate limits): its commits
    do not wait for the disk (SQLite `synchronous=NORMAL` in WAL mode, PostgreSQL
    `synchronous_commit=off`): 0.06 ms a rate-limit write instead of 4 ms on SQLite
    here (bench/bench_rate_limit.py). Other engines' commits stay durable."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            paths.create_private_file(Path(url.database))  # SQLite's -wal/-shm follow its mode
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            if not durable:
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    options = {} if durable else {"connect_args": {"options": "-c synchronous_commit=off"}}
    return create_engine(url, pool_pre_ping=True, **options)


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
