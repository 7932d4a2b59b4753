"""Versioned taxonomies and journeys in the database, and the shipped defaults beside them.

Every `PUT` stores a new version (the validated object as JSON); reads return the latest
version unless one is named. The id "default" is the shipped taxonomy / journey and cannot be
overwritten: store your own under another id.

Each stored object belongs to a tenant (the `tenant` column, NULL for the default tenant, as
for jobs and alerts); a tenant reads, lists and versions only its own, so another tenant's id
is as unknown as an id nobody stored. The shipped defaults are everyone's, read-only. Two
tenants may use one id: the `id` column holds the id itself for the default tenant (as
before tenants) and `t:<digest of tenant and id>` for others, which no valid id can spell, so
the primary key (id, version) keeps each tenant's versions apart and counting from 1.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, func, select

from voc.alerts.webhooks import webhook_url_problem
from voc.config import Settings
from voc.nlp.fields import InvalidFieldError, read_id
from voc.nlp.journey import Journey, journey_to_dict, parse_journey
from voc.nlp.taxonomy import Taxonomy, parse_taxonomy, taxonomy_to_dict
from voc.storage import DEFAULT_TENANT, metadata, owned_by, tenant_column_value

DEFAULT_ID = "default"


def _versioned_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("document", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("tenant", String(64), comment="whose it is; NULL: the default tenant"),
    )


taxonomies = _versioned_table("taxonomies")
journeys = _versioned_table("journeys")


class UnknownConfigError(LookupError):
    """No stored taxonomy or journey has this id (or version)."""


class ReservedIdError(ValueError):
    """The id names a shipped object, which cannot be replaced."""


class ConfigStore:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        default_taxonomy: Taxonomy,
        default_journey: Journey,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.default_taxonomy = default_taxonomy
        self.default_journey = default_journey

    # journeys

    def parse_journey(
        self, raw: Any, *, journey_id: str | None = None, version: int = 0
    ) -> Journey:
        return parse_journey(
            raw,
            limits=self.settings.limits,
            check_webhook_url=partial(
                webhook_url_problem, allow_private=self.settings.allow_private_webhooks
            ),
            journey_id=journey_id,
            version=version,
        )

    def put_journey(
        self, journey_id: str, raw: Any, *, tenant: str = DEFAULT_TENANT
    ) -> tuple[Journey, bool]:
        """Validate and store a new version; returns it and whether the id is new (to the
        tenant)."""
        self._check_id(journey_id)
        journey = self.parse_journey(raw, journey_id=journey_id)
        version = self._insert(journeys, tenant, journey_id, journey_to_dict(journey))
        return replace(journey, version=version), version == 1

    def journey(
        self, journey_id: str, version: int | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> Journey:
        if journey_id == DEFAULT_ID and version in (None, self.default_journey.version):
            return self.default_journey
        stored_version, document = self._select(journeys, tenant, journey_id, version)
        return self._stored_journey(document, stored_version)

    def list_journeys(self, *, tenant: str = DEFAULT_TENANT) -> list[Journey]:
        stored = [self._stored_journey(d, v) for v, d in self._latest(journeys, tenant)]
        return [self.default_journey, *stored]

    # taxonomies

    def parse_taxonomy(
        self,
        raw: Any,
        *,
        taxonomy_id: str | None = None,
        version: int = 0,
        tenant: str = DEFAULT_TENANT,
    ) -> Taxonomy:
        """Validated against the journey it names (`journey`, default "default"), one of the
        tenant's."""
        journey_id = raw.get("journey", DEFAULT_ID) if isinstance(raw, dict) else DEFAULT_ID
        journey = self._journey_of_taxonomy(journey_id, tenant)
        return parse_taxonomy(
            raw,
            limits=self.settings.limits,
            journey=journey,
            taxonomy_id=taxonomy_id,
            version=version,
        )

    def put_taxonomy(
        self, taxonomy_id: str, raw: Any, *, tenant: str = DEFAULT_TENANT
    ) -> tuple[Taxonomy, bool]:
        self._check_id(taxonomy_id)
        taxonomy = self.parse_taxonomy(raw, taxonomy_id=taxonomy_id, tenant=tenant)
        version = self._insert(taxonomies, tenant, taxonomy_id, taxonomy_to_dict(taxonomy))
        return replace(taxonomy, version=version), version == 1

    def taxonomy(
        self, taxonomy_id: str, version: int | None = None, *, tenant: str = DEFAULT_TENANT
    ) -> Taxonomy:
        if taxonomy_id == DEFAULT_ID and version in (None, self.default_taxonomy.version):
            return self.default_taxonomy
        stored_version, document = self._select(taxonomies, tenant, taxonomy_id, version)
        return self._stored_taxonomy(document, stored_version)

    def list_taxonomies(self, *, tenant: str = DEFAULT_TENANT) -> list[Taxonomy]:
        stored = [self._stored_taxonomy(d, v) for v, d in self._latest(taxonomies, tenant)]
        return [self.default_taxonomy, *stored]

    # storage

    def _stored_journey(self, document: dict[str, Any], version: int) -> Journey:
        """Stored objects were validated when written; settings that changed since (private
        webhooks) are enforced where they matter, when an alert is sent."""
        return parse_journey(
            document,
            limits=self.settings.limits,
            check_webhook_url=partial(webhook_url_problem, allow_private=True),
            version=version,
        )

    def _stored_taxonomy(self, document: dict[str, Any], version: int) -> Taxonomy:
        """Not re-checked against its journey, which may have changed since; `/v1/analyze`
        checks the pair it is about to use."""
        return parse_taxonomy(document, limits=self.settings.limits, journey=None, version=version)

    def _journey_of_taxonomy(self, journey_id: Any, tenant: str) -> Journey:
        if not isinstance(journey_id, str):
            raise InvalidFieldError("journey", "must be the id of a stored journey")
        read_id({"journey": journey_id}, "journey", "")
        try:
            return self.journey(journey_id, tenant=tenant)
        except UnknownConfigError as err:
            raise InvalidFieldError(
                "journey", f"no journey {journey_id!r}; PUT /v1/journeys/{journey_id} first"
            ) from err

    @staticmethod
    def _check_id(config_id: str) -> None:
        read_id({"id": config_id}, "id", "")
        if config_id == DEFAULT_ID:
            raise ReservedIdError(
                '"default" is the shipped version and cannot be replaced; store yours under '
                "another id and name it in requests"
            )

    def _insert(self, table: Table, tenant: str, config_id: str, document: dict[str, Any]) -> int:
        """Next version number of the tenant's `config_id`, inserted in one transaction."""
        document = {k: v for k, v in document.items() if k != "version"}
        key = _stored_id(tenant, config_id)
        with self.engine.begin() as connection:
            latest = connection.execute(
                select(func.max(table.c.version)).where(table.c.id == key)
            ).scalar()
            version = (latest or 0) + 1
            connection.execute(
                table.insert().values(
                    id=key,
                    tenant=tenant_column_value(tenant),
                    version=version,
                    document=json.dumps(document, ensure_ascii=False),
                    created_at=datetime.now(UTC),
                )
            )
        return version

    def _select(
        self, table: Table, tenant: str, config_id: str, version: int | None
    ) -> tuple[int, dict[str, Any]]:
        query = select(table.c.version, table.c.document).where(
            table.c.id == _stored_id(tenant, config_id), owned_by(table, tenant)
        )
        query = (
            query.where(table.c.version == version)
            if version is not None
            else query.order_by(table.c.version.desc()).limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:  # another tenant's id reads exactly like an unknown one
            suffix = f" version {version}" if version is not None else ""
            raise UnknownConfigError(f"no {table.name[:-1]} {config_id!r}{suffix}")
        return row.version, json.loads(row.document)

    def _latest(self, table: Table, tenant: str) -> list[tuple[int, dict[str, Any]]]:
        latest = (
            select(table.c.id, func.max(table.c.version).label("version"))
            .where(owned_by(table, tenant))
            .group_by(table.c.id)
            .subquery()
        )
        query = select(table.c.version, table.c.document).join(
            latest, (table.c.id == latest.c.id) & (table.c.version == latest.c.version)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query)
            documents = [(row.version, json.loads(row.document)) for row in rows]
        return sorted(documents, key=lambda stored: stored[1]["id"])  # not the digests' order


def _stored_id(tenant: str, config_id: str) -> str:
    """The `id` column's value: the id for the default tenant, else `t:` and a digest of
    (tenant, id) that fits the column and, holding a `:`, is never a valid id itself."""
    if tenant == DEFAULT_TENANT:
        return config_id
    return "t:" + hashlib.sha256(f"{tenant}\n{config_id}".encode()).hexdigest()[:48]
