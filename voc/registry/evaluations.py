"""Evaluations `voc eval` ran, kept in the service database next to the activation log.

A version's manifest holds the evaluations made when it was trained; a retrain on other data
shares none with the active version. `voc eval` (one version, or two with `--compare`) runs
each version on the same rows, so its reports are recorded here as evaluation sets
(`entry.evaluation`), and activation compares versions on those as on the manifest's own. The
manifest is never rewritten: its files are hashed and committed defaults live in git.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, insert, select

from voc.storage import metadata

evaluations = Table(
    "model_evaluations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, index=True),
    Column("version", String(200), nullable=False),
    Column("evaluation_set", String(200), nullable=False),
    Column("record", Text, nullable=False),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
)


def ensure_table(engine: Engine) -> None:
    """For callers without `create_app` (the CLI, notebooks): create the table if absent."""
    evaluations.create(engine, checkfirst=True)


def record(engine: Engine, name: str, version: str, evaluation: dict[str, Any]) -> None:
    """Keep one evaluation record of `version` (a later record of the same set replaces it)."""
    with engine.begin() as connection:
        connection.execute(
            insert(evaluations).values(
                name=name,
                version=version,
                evaluation_set=evaluation["set"],
                record=json.dumps(evaluation),
                evaluated_at=datetime.now(UTC),
            )
        )


def recorded(engine: Engine, name: str, version: str) -> list[dict[str, Any]]:
    """The latest record per evaluation set of `version`, oldest set first."""
    query = (
        select(evaluations.c.evaluation_set, evaluations.c.record)
        .where(evaluations.c.name == name, evaluations.c.version == version)
        .order_by(evaluations.c.id)
    )
    with engine.connect() as connection:
        latest = {row.evaluation_set: json.loads(row.record) for row in connection.execute(query)}
    return list(latest.values())
