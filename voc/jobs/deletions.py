"""The deletion log: what was deleted, when, why and by whom, never the data itself.

Deleting a job, a customer's erasure and the retention sweep each add one row. An erasure's
customer id is itself personal data, so only its SHA-256 is kept (enough to answer "was this
customer erased, and when?" for someone who knows the id), with the tenant whose customer it
is (another tenant's customer of the same id is someone else)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

from sqlalchemy import Column, Float, String, Table, Text, insert

from voc.storage import DEFAULT_TENANT, metadata, tenant_column_value

deletions = Table(
    "deletions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("at", Float, nullable=False),
    Column("kind", String(16), nullable=False, comment="job, erasure or retention"),
    Column("target", String(200), nullable=False, comment="job id, or sha256 of a customer id"),
    Column("actor", String(200), comment="the API key or CLI user that asked; NULL: the sweep"),
    Column("removed", Text, nullable=False, comment="JSON counts per table"),
    Column("tenant", String(64), comment="whose data; NULL: the default tenant"),
)


def customer_hash(customer_id: str) -> str:
    return "sha256:" + hashlib.sha256(customer_id.encode()).hexdigest()


def record(
    conn: Any,
    kind: str,
    target: str,
    removed: dict[str, Any],
    actor: str | None = None,
    *,
    tenant: str = DEFAULT_TENANT,
) -> None:
    conn.execute(
        insert(deletions).values(
            id=uuid.uuid4().hex,
            at=time.time(),
            kind=kind,
            target=target,
            actor=actor,
            removed=json.dumps(removed, sort_keys=True),
            tenant=tenant_column_value(tenant),
        )
    )
