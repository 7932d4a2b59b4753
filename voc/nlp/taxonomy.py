"""Root-cause taxonomies as data: why customers are unhappy, each cause tied to a touchpoint.

A taxonomy arrives as JSON (`PUT /v1/taxonomies/{id}`, an inline object in `/v1/analyze`, or the
shipped `voc/data/taxonomy_default.json`) and is validated here, once, into frozen values.
Causes work zero-shot from their label and description; examples (any language) make the
few-shot head sharper. Each cause's `touchpoint` must exist in the journey the taxonomy is
checked against.
"""

from __future__ import annotations

import json
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
from voc.nlp.journey import Journey

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy_default.json"


@dataclass(frozen=True)
class RootCause:
    id: str
    label: str
    description: str = ""
    touchpoint: str | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """`version` counts stored versions from 1; 0 marks an inline (unstored) taxonomy.
    `journey` is the id of the journey whose touchpoints the causes name."""

    id: str
    name: str
    root_causes: tuple[RootCause, ...]
    version: int = 0
    journey: str = "default"

    @property
    def key(self) -> str:
        return version_key(self.id, self.version, self.root_causes)


def parse_taxonomy(
    raw: Any,
    *,
    limits: Limits,
    journey: Journey | None,
    taxonomy_id: str | None = None,
    version: int = 0,
) -> Taxonomy:
    """A JSON object -> `Taxonomy`, or `InvalidFieldError` naming the first bad field.

    `taxonomy_id` is the id from the URL (the body's `id` may be omitted, or must match it);
    `journey`, when given, is where every cause's `touchpoint` must exist (the caller looks
    up the journey the body names in `journey`).
    """
    obj = require_object(raw, "")
    reject_unknown_keys(obj, {"id", "name", "journey", "root_causes", "version"}, "")
    if taxonomy_id is not None and obj.get("id") is None:
        obj = {**obj, "id": taxonomy_id}
    tid = read_id(obj, "id", "")
    if taxonomy_id is not None and tid != taxonomy_id:
        raise InvalidFieldError("id", f"is {tid!r} but the URL says {taxonomy_id!r}")
    name = read_text(obj, "name", "", max_chars=limits.max_label_characters, required=False)
    journey_id = "default" if obj.get("journey") is None else read_id(obj, "journey", "")
    items = read_list(obj, "root_causes", "", max_items=limits.max_root_causes_per_taxonomy)
    if not items:
        raise InvalidFieldError("root_causes", "must list at least one root cause")
    causes = tuple(
        _root_cause(item, join("root_causes", i), limits) for i, item in enumerate(items)
    )
    check_unique([c.id for c in causes], "root_causes", "id")
    taxonomy = Taxonomy(
        id=tid, name=name or tid, root_causes=causes, version=version, journey=journey_id
    )
    if journey is not None:
        check_touchpoints(taxonomy, journey, path="")
    return taxonomy


def _root_cause(raw: Any, path: str, limits: Limits) -> RootCause:
    obj = require_object(raw, path)
    reject_unknown_keys(obj, {"id", "label", "description", "touchpoint", "examples"}, path)
    touchpoint = None if obj.get("touchpoint") is None else read_id(obj, "touchpoint", path)
    return RootCause(
        id=read_id(obj, "id", path),
        label=read_text(obj, "label", path, max_chars=limits.max_label_characters, required=True),
        description=read_text(
            obj, "description", path, max_chars=limits.max_description_characters, required=False
        ),
        touchpoint=touchpoint,
        examples=read_examples(
            obj,
            path,
            max_items=limits.max_examples_per_item,
            max_chars=limits.max_example_characters,
        ),
    )


def check_touchpoints(taxonomy: Taxonomy, journey: Journey, path: str = "taxonomy") -> None:
    """A taxonomy used with a journey must name only that journey's touchpoints."""
    for i, cause in enumerate(taxonomy.root_causes):
        if cause.touchpoint is not None and journey.touchpoint(cause.touchpoint) is None:
            raise InvalidFieldError(
                join(join(join(path, "root_causes"), i), "touchpoint"),
                f"{cause.touchpoint!r} is not a touchpoint of journey {journey.id!r}; use one of "
                f"{list(journey.touchpoint_ids)}",
            )


def taxonomy_to_dict(taxonomy: Taxonomy) -> dict[str, Any]:
    """The JSON shape of `GET /v1/taxonomies/{id}` (the PUT body plus `version`)."""
    return {
        "id": taxonomy.id,
        "name": taxonomy.name,
        "version": taxonomy.version,
        "journey": taxonomy.journey,
        "root_causes": [
            {
                "id": c.id,
                "label": c.label,
                "description": c.description,
                "touchpoint": c.touchpoint,
                "examples": list(c.examples),
            }
            for c in taxonomy.root_causes
        ],
    }


def taxonomy_from_dict(raw: dict[str, Any]) -> Taxonomy:
    """The inverse of `taxonomy_to_dict`, for a taxonomy validated when it was stored or
    pinned on a job: rebuilt as it is, never re-validated (other limits may apply now)."""
    return Taxonomy(
        id=raw["id"],
        name=raw["name"],
        version=int(raw["version"]),
        journey=raw["journey"],
        root_causes=tuple(
            RootCause(
                id=c["id"],
                label=c["label"],
                description=c["description"],
                touchpoint=c["touchpoint"],
                examples=tuple(c["examples"]),
            )
            for c in raw["root_causes"]
        ),
    )


def load_default_taxonomy(journey: Journey, limits: Limits | None = None) -> Taxonomy:
    """The shipped CX taxonomy (`voc/data/taxonomy_default.json`), validated like any other."""
    raw = json.loads(DEFAULT_TAXONOMY_PATH.read_text(encoding="utf-8"))
    return parse_taxonomy(
        raw, limits=limits or Limits(), journey=journey, version=raw.get("version", 1)
    )
