"""Which version of each model is active: an append-only log in the service database.

A database table rather than a JSON file because every process that serves (several
waitress processes, or several machines on one PostgreSQL) must see the same answer, and
because the log is the history that `rollback` walks back through. The latest row per name
is the active version; a name without rows uses its committed default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    func,
    insert,
    select,
)

from voc.storage import metadata

activations = Table(
    "model_activations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, index=True),
    Column("version", String(200), nullable=False),
    Column("previous", String(200), nullable=True),
    Column("forced", Boolean, nullable=False, default=False),
    Column("reason", String(50), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    Column("activated_by", String(200), comment="who: `key:<id>` (tenant), `cli`, or NULL"),
)


@dataclass(frozen=True)
class Activation:
    name: str
    version: str
    previous: str | None
    forced: bool
    reason: str
    activated_at: datetime
    activated_by: str | None = None
    """Who asked: an API key (`key:<id> (tenant)`), `open-api` (no key), `cli`, or None
    (before this was recorded)."""


def ensure_table(engine: Engine) -> None:
    """For callers without `create_app` (the CLI, notebooks): create the table if absent."""
    activations.create(engine, checkfirst=True)


def active_versions(engine: Engine) -> dict[str, str]:
    """name -> version of the latest activation of each name (names never activated absent)."""
    latest = (
        select(activations.c.name, func.max(activations.c.id).label("id"))
        .group_by(activations.c.name)
        .subquery()
    )
    query = select(activations.c.name, activations.c.version).join(
        latest, activations.c.id == latest.c.id
    )
    with engine.connect() as connection:
        return {row.name: row.version for row in connection.execute(query)}


def record(
    engine: Engine,
    name: str,
    version: str,
    *,
    previous: str | None,
    forced: bool,
    reason: str,
    by: str | None = None,
) -> Activation:
    activation = Activation(name, version, previous, forced, reason, datetime.now(UTC), by)
    with engine.begin() as connection:
        connection.execute(
            insert(activations).values(
                name=name,
                version=version,
                previous=previous,
                forced=forced,
                reason=reason,
                activated_at=activation.activated_at,
                activated_by=by,
            )
        )
    return activation


def history(engine: Engine, name: str) -> list[Activation]:
    """Activations of `name`, newest first."""
    query = select(activations).where(activations.c.name == name).order_by(activations.c.id.desc())
    with engine.connect() as connection:
        return [
            Activation(
                r.name, r.version, r.previous, r.forced, r.reason, r.activated_at, r.activated_by
            )
            for r in connection.execute(query)
        ]
