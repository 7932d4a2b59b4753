"""Claims with a lease on rows of any table: which process may act on a row, and until when.

Several processes share one database, and some work must happen once (an alert's webhook
POST). A process claims the row first with one conditional UPDATE, and acts only when that
UPDATE changed the row: the database decides between two processes claiming at once. A claim
lasts until `claimed_until` (epoch seconds), so a process that dies holding one blocks the
row only until then; after that any process may claim it again. A lease's end is set and
compared by the database's clock (`voc.storage.clock`), inside the statement, so processes on
machines whose clocks disagree still agree on whose claim has run out.

A table opts in by declaring `*lease_columns()`; it must have an `id` primary key.
"""

from __future__ import annotations

from sqlalchemy import Column, ColumnElement, Connection, Float, String, Table, or_, update

from voc.storage.clock import db_now


def lease_columns() -> tuple[Column, Column]:
    """The two nullable columns a claimable table declares (added to older databases by
    `create_schema`; NULL: nobody holds the row)."""
    return (
        Column("claimed_by", String(80), comment="the process holding the row; NULL: nobody"),
        Column("claimed_until", Float, comment="epoch seconds the claim lasts until"),
    )


def is_free(table: Table) -> ColumnElement[bool]:
    """The condition selecting rows nobody holds: never claimed, released, or expired."""
    return or_(table.c.claimed_until.is_(None), table.c.claimed_until < db_now())


def claim(
    connection: Connection,
    table: Table,
    row_id: str,
    *,
    owner: str,
    seconds: float,
    where: tuple[ColumnElement[bool], ...] = (),
) -> bool:
    """Take (or extend, when `owner` holds it already) the claim on one row matching `where`
    for `seconds`; True when this call holds it now. One statement, so it is atomic."""
    result = connection.execute(
        update(table)
        .where(
            table.c.id == row_id,
            or_(is_free(table), table.c.claimed_by == owner),
            *where,
        )
        .values(claimed_by=owner, claimed_until=db_now() + seconds)
    )
    return result.rowcount == 1


def held_by(table: Table, owner: str) -> ColumnElement[bool]:
    """The condition a write made under a claim adds, so a claim lost to another process
    (its lease ran out) changes nothing."""
    return table.c.claimed_by == owner


def release_all(connection: Connection, table: Table, owner: str) -> int:
    """Give up every claim `owner` holds (a process stopping cleanly), so other processes
    need not wait for the leases to run out; returns how many."""
    result = connection.execute(
        update(table).where(held_by(table, owner)).values(claimed_by=None, claimed_until=None)
    )
    return result.rowcount
