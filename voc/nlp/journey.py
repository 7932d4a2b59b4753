"""The customer journey as data: touchpoints, each with an owner who is told when it hurts.

A journey arrives as JSON (`PUT /v1/journeys/{id}`, an inline object in `/v1/analyze`, or the
shipped `voc/data/journey_default.json`) and is validated here, once, into frozen values.
Which webhook URLs an owner may give is alert policy (`voc.alerts.webhooks`): the caller
passes it in as `check_webhook_url`, and the service does for every journey a client sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.config import Limits
from voc.nlp.fields import (
    InvalidFieldError,
    check_unique,
    join,
    read_examples,
    read_id,
    read_list,
    read_text,
    reject_unknown_keys,
    require_object,
    version_key,
)

DEFAULT_JOURNEY_PATH = Path(__file__).resolve().parent.parent / "data" / "journey_default.json"
MAX_URL_CHARS = 2_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WebhookCheck = Callable[[str], str | None]
"""url -> why it may not receive webhooks, or None."""


@dataclass(frozen=True)
class Owner:
    """Who acts on a touchpoint's problems; `webhook_url` receives the alerts."""

    name: str
    email: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True)
class Touchpoint:
    id: str
    label: str
    description: str = ""
    examples: tuple[str, ...] = ()
    owner: Owner | None = None


@dataclass(frozen=True)
class Journey:
    """`version` counts stored versions from 1; 0 marks an inline (unstored) journey."""

    id: str
    name: str
    touchpoints: tuple[Touchpoint, ...]
    version: int = 0

    def touchpoint(self, touchpoint_id: str) -> Touchpoint | None:
        return next((t for t in self.touchpoints if t.id == touchpoint_id), None)

    @property
    def key(self) -> str:
        return version_key(self.id, self.version, self.touchpoints)

    @property
    def touchpoint_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.touchpoints)


def parse_journey(
    raw: Any,
    *,
    limits: Limits,
    check_webhook_url: WebhookCheck | None = None,
    journey_id: str | None = None,
    version: int = 0,
) -> Journey:
    """A JSON object -> `Journey`, or `InvalidFieldError` naming the first bad field.

    `journey_id` is the id from the URL: the body's `id` may be omitted, or must match it.
    `check_webhook_url(url)` says why an owner's URL may not be used, or None when it may
    (`voc.alerts.webhooks`); without it any URL is kept as given (a journey validated when it
    was stored or pinned on a job, or the shipped one).
    """
    obj = require_object(raw, "")
    reject_unknown_keys(obj, {"id", "name", "touchpoints", "version"}, "")
    if journey_id is not None and obj.get("id") is None:
        obj = {**obj, "id": journey_id}
    jid = read_id(obj, "id", "")
    if journey_id is not None and jid != journey_id:
        raise InvalidFieldError("id", f"is {jid!r} but the URL says {journey_id!r}")
    name = read_text(obj, "name", "", max_chars=limits.max_label_characters, required=False)
    items = read_list(obj, "touchpoints", "", max_items=limits.max_touchpoints_per_journey)
    if not items:
        raise InvalidFieldError("touchpoints", "must list at least one touchpoint")
    touchpoints = tuple(
        _touchpoint(item, join("touchpoints", i), limits, check_webhook_url)
        for i, item in enumerate(items)
    )
    check_unique([t.id for t in touchpoints], "touchpoints", "id")
    return Journey(id=jid, name=name or jid, touchpoints=touchpoints, version=version)


def _touchpoint(
    raw: Any, path: str, limits: Limits, check_webhook_url: WebhookCheck | None
) -> Touchpoint:
    obj = require_object(raw, path)
    reject_unknown_keys(obj, {"id", "label", "description", "examples", "owner"}, path)
    owner = obj.get("owner")
    return Touchpoint(
        id=read_id(obj, "id", path),
        label=read_text(obj, "label", path, max_chars=limits.max_label_characters, required=True),
        description=read_text(
            obj, "description", path, max_chars=limits.max_description_characters, required=False
        ),
        examples=read_examples(
            obj,
            path,
            max_items=limits.max_examples_per_item,
            max_chars=limits.max_example_characters,
        ),
        owner=None
        if owner is None
        else _owner(owner, join(path, "owner"), limits, check_webhook_url),
    )


def _owner(raw: Any, path: str, limits: Limits, check_webhook_url: WebhookCheck | None) -> Owner:
    obj = require_object(raw, path)
    reject_unknown_keys(obj, {"name", "email", "webhook_url"}, path)
    email = read_text(obj, "email", path, max_chars=254, required=False)
    if email and not EMAIL.match(email):
        raise InvalidFieldError(join(path, "email"), f"{email!r} is not an e-mail address")
    url = read_text(obj, "webhook_url", path, max_chars=MAX_URL_CHARS, required=False)
    if url and check_webhook_url is not None:
        problem = check_webhook_url(url)
        if problem:
            raise InvalidFieldError(join(path, "webhook_url"), problem)
    return Owner(
        name=read_text(obj, "name", path, max_chars=limits.max_label_characters, required=True),
        email=email or None,
        webhook_url=url or None,
    )


def journey_to_dict(journey: Journey) -> dict[str, Any]:
    """The JSON shape of `GET /v1/journeys/{id}` (the PUT body plus `version`)."""
    return {
        "id": journey.id,
        "name": journey.name,
        "version": journey.version,
        "touchpoints": [
            {
                "id": t.id,
                "label": t.label,
                "description": t.description,
                "examples": list(t.examples),
                "owner": None
                if t.owner is None
                else {
                    "name": t.owner.name,
                    "email": t.owner.email,
                    "webhook_url": t.owner.webhook_url,
                },
            }
            for t in journey.touchpoints
        ],
    }


def journey_from_dict(raw: dict[str, Any]) -> Journey:
    """The inverse of `journey_to_dict`, for a journey validated when it was stored or pinned
    on a job (webhook URLs included): rebuilt as it is, never re-validated."""
    return Journey(
        id=raw["id"],
        name=raw["name"],
        version=int(raw["version"]),
        touchpoints=tuple(
            Touchpoint(
                id=t["id"],
                label=t["label"],
                description=t["description"],
                examples=tuple(t["examples"]),
                owner=None if t["owner"] is None else Owner(**t["owner"]),
            )
            for t in raw["touchpoints"]
        ),
    )


def load_default_journey(limits: Limits | None = None) -> Journey:
    """The shipped journey (`voc/data/journey_default.json`), validated like any other."""
    raw = json.loads(DEFAULT_JOURNEY_PATH.read_text(encoding="utf-8"))
    return parse_journey(raw, limits=limits or Limits(), version=raw.get("version", 1))
