"""`/v1/taxonomies` and `/v1/journeys`: configuration as data, versioned, validated at the door.

Also resolves the `taxonomy` / `journey` of an analysis request ("default", a stored id, or an
inline object) into validated values, with the same errors as the endpoints. Everything stored
belongs to the caller's tenant (`ConfigStore`): another tenant's id answers 404 like an unknown
one; the shipped "default" ones are everyone's, read-only.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from voc.config import Limits
from voc.jobs.config_store import DEFAULT_ID, ConfigStore, ReservedIdError, UnknownConfigError
from voc.nlp.fields import InvalidFieldError
from voc.nlp.journey import Journey, journey_to_dict
from voc.nlp.taxonomy import Taxonomy, check_touchpoints, parse_taxonomy, taxonomy_to_dict
from voc.service.auth import principal
from voc.service.errors import ApiError
from voc.service.schemas import json_body
from voc.service.state import state

bp = Blueprint("configuration", __name__)


def invalid(err: InvalidFieldError, prefix: str = "") -> ApiError:
    """The 400 for a bad field; the message starts with the field's path."""
    path = f"{prefix}.{err.path}" if prefix and err.path else prefix or err.path
    return ApiError(400, "InvalidConfiguration", f"{path}: {err.message}" if path else err.message)


def _store() -> ConfigStore:
    return state(current_app).config_store


VERSION = re.compile(r"^[0-9]{1,19}$")
MAX_VERSION = 2**63 - 1
"""Versions are 64-bit integers in the database; larger ones are refused, not looked up."""


def _version_arg() -> int | None:
    raw = request.args.get("version")
    if raw is None:
        return None
    if not VERSION.match(raw) or not 1 <= int(raw) <= MAX_VERSION:
        raise ApiError(400, "InvalidVersion", f"version must be an integer from 1 to {MAX_VERSION}")
    return int(raw)


def _not_found(err: UnknownConfigError, kind: str) -> ApiError:
    return ApiError(404, "NotFound", f"{err}; GET /v1/{kind} lists them")


def _put(put, config_id: str, to_dict) -> Any:
    try:
        stored, created = put(config_id, json_body(request), tenant=principal().tenant)
    except InvalidFieldError as err:
        raise invalid(err) from err
    except ReservedIdError as err:
        raise ApiError(400, "ReservedId", str(err)) from err
    return jsonify(to_dict(stored)), 201 if created else 200


@bp.put("/v1/taxonomies/<taxonomy_id>")
def put_taxonomy(taxonomy_id: str):
    return _put(_store().put_taxonomy, taxonomy_id, taxonomy_to_dict)


@bp.get("/v1/taxonomies/<taxonomy_id>")
def get_taxonomy(taxonomy_id: str):
    try:
        taxonomy = _store().taxonomy(taxonomy_id, _version_arg(), tenant=principal().tenant)
        return jsonify(taxonomy_to_dict(taxonomy))
    except UnknownConfigError as err:
        raise _not_found(err, "taxonomies") from err


@bp.get("/v1/taxonomies")
def list_taxonomies():
    listed = _store().list_taxonomies(tenant=principal().tenant)
    return jsonify({"taxonomies": [taxonomy_to_dict(t) for t in listed]})


@bp.put("/v1/journeys/<journey_id>")
def put_journey(journey_id: str):
    return _put(_store().put_journey, journey_id, journey_to_dict)


@bp.get("/v1/journeys/<journey_id>")
def get_journey(journey_id: str):
    try:
        journey = _store().journey(journey_id, _version_arg(), tenant=principal().tenant)
        return jsonify(journey_to_dict(journey))
    except UnknownConfigError as err:
        raise _not_found(err, "journeys") from err


@bp.get("/v1/journeys")
def list_journeys():
    listed = _store().list_journeys(tenant=principal().tenant)
    return jsonify({"journeys": [journey_to_dict(j) for j in listed]})


def resolve_for_analysis(
    store: ConfigStore,
    taxonomy_ref: str | dict | None,
    journey_ref: str | dict | None,
    *,
    tenant: str,
) -> tuple[Taxonomy, Journey]:
    """The taxonomy and journey an analysis request by `tenant` names, checked to fit together.

    Each is "default" (or absent), one of the tenant's stored ids (404 when unknown to it), or
    an inline object (400 naming `taxonomy.<field>` when invalid). Without a `journey`, the
    taxonomy's own is used (the tenant's, or the default).
    """
    if isinstance(taxonomy_ref, dict):
        try:  # its touchpoints are checked below, against the journey actually used
            taxonomy = parse_taxonomy(
                taxonomy_ref,
                limits=store.settings.limits,
                journey=None,
                taxonomy_id=taxonomy_ref.get("id") or "inline",
            )
        except InvalidFieldError as err:
            raise invalid(err, "taxonomy") from err
    else:
        try:
            taxonomy = store.taxonomy(taxonomy_ref or DEFAULT_ID, tenant=tenant)
        except UnknownConfigError as err:
            raise _not_found(err, "taxonomies") from err
    if isinstance(journey_ref, dict):
        try:
            journey = store.parse_journey(journey_ref, journey_id=journey_ref.get("id") or "inline")
        except InvalidFieldError as err:
            raise invalid(err, "journey") from err
    else:
        try:
            journey = store.journey(journey_ref or taxonomy.journey, tenant=tenant)
        except UnknownConfigError as err:
            raise _not_found(err, "journeys") from err
    try:
        check_touchpoints(taxonomy, journey)
    except InvalidFieldError as err:
        raise invalid(err) from err
    return taxonomy, journey


def pin_configuration(
    store: ConfigStore, options: dict[str, Any], *, tenant: str
) -> dict[str, Any]:
    """A job's options with its taxonomy and journey resolved now (within `tenant`) and stored
    whole (with their versions), so a job analyses every chunk alike even if a new version is
    stored meanwhile."""
    taxonomy, journey = resolve_for_analysis(
        store, options.get("taxonomy"), options.get("journey"), tenant=tenant
    )
    return {**options, "taxonomy": taxonomy_to_dict(taxonomy), "journey": journey_to_dict(journey)}


# OpenAPI: the shapes above, as data (`voc.service.openapi` includes them)

_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,63}$"}
_TEXTS = {"type": "array", "items": {"type": "string", "minLength": 1}}


def openapi_schemas(limits: Limits) -> dict[str, Any]:
    label = {"type": "string", "minLength": 1, "maxLength": limits.max_label_characters}
    description = {"type": "string", "maxLength": limits.max_description_characters}
    examples = {**_TEXTS, "maxItems": limits.max_examples_per_item}
    return {
        "Taxonomy": {
            "type": "object",
            "description": "PUT body (id optional, must match the URL) and GET answer "
            "(with version). Causes need no examples to work (zero-shot); examples in any "
            "language fit a few-shot head.",
            "properties": {
                "id": _ID,
                "name": {"type": "string"},
                "version": {"type": "integer", "minimum": 0, "readOnly": True},
                "journey": {
                    **_ID,
                    "default": "default",
                    "description": "the journey whose touchpoints the causes name",
                },
                "root_causes": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": limits.max_root_causes_per_taxonomy,
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": _ID,
                            "label": label,
                            "description": description,
                            "touchpoint": {**_ID, "type": ["string", "null"]},
                            "examples": examples,
                        },
                        "required": ["id", "label"],
                    },
                },
            },
            "required": ["root_causes"],
        },
        "Journey": {
            "type": "object",
            "properties": {
                "id": _ID,
                "name": {"type": "string"},
                "version": {"type": "integer", "minimum": 0, "readOnly": True},
                "touchpoints": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": limits.max_touchpoints_per_journey,
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": _ID,
                            "label": label,
                            "description": description,
                            "examples": examples,
                            "owner": {
                                "type": ["object", "null"],
                                "properties": {
                                    "name": label,
                                    "email": {"type": ["string", "null"]},
                                    "webhook_url": {
                                        "type": ["string", "null"],
                                        "description": "http/https; private, loopback and "
                                        "link-local hosts only when allow_private_webhooks",
                                    },
                                },
                                "required": ["name"],
                            },
                        },
                        "required": ["id", "label"],
                    },
                },
            },
            "required": ["touchpoints"],
        },
        "TaxonomyList": {
            "type": "object",
            "properties": {"taxonomies": {"type": "array", "items": _ref("Taxonomy")}},
            "required": ["taxonomies"],
        },
        "JourneyList": {
            "type": "object",
            "properties": {"journeys": {"type": "array", "items": _ref("Journey")}},
            "required": ["journeys"],
        },
        "RootCause": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "label": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "sentiment": {"type": "string", "enum": ["negative", "neutral"]},
                "touchpoint": {"type": ["string", "null"]},
                "evidence": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "start": {"type": "integer", "minimum": 0},
                            "end": {"type": "integer", "minimum": 0},
                            "text": {"type": "string"},
                        },
                        "required": ["start", "end", "text"],
                    },
                },
            },
            "required": ["id", "label", "score", "sentiment", "touchpoint", "evidence"],
        },
        "TouchpointTag": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "label": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "source": {"type": "string", "enum": ["metadata", "root_cause", "text"]},
            },
            "required": ["id", "label", "score", "source"],
        },
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _config_paths(kind: str, schema: str, list_schema: str, param: str) -> dict[str, Any]:
    def answer(description: str, name: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}

    version = {
        "name": "version",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
        "description": "a stored version; default the latest",
    }
    path_param = {"name": param, "in": "path", "required": True, "schema": {"type": "string"}}
    new_id = {**path_param, "schema": {**_ID, "not": {"const": "default"}}}
    return {
        f"/v1/{kind}": {
            "get": {
                "summary": "The shipped default and the latest version of every "
                f"{schema.lower()} the caller's tenant stored",
                "responses": {"200": answer("List", list_schema)},
            }
        },
        f"/v1/{kind}/{{{param}}}": {
            "put": {
                "summary": f'Store a new version for the caller\'s tenant ({param} "default" '
                "is reserved); another tenant's object with this id is a different one",
                "parameters": [new_id],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(schema)}},
                },
                "responses": {
                    "200": answer("New version of an existing id", schema),
                    "201": answer("First version", schema),
                    "400": answer(
                        "InvalidConfiguration (the message starts with the bad field's path), "
                        "ReservedId, InvalidJson",
                        "Error",
                    ),
                    "415": answer("Body is not application/json", "Error"),
                },
            },
            "get": {
                "summary": f"One {schema.lower()} of the caller's tenant, or the shipped "
                '"default" (latest version unless ?version=)',
                "parameters": [path_param, version],
                "responses": {
                    "200": answer(schema, schema),
                    "400": answer("InvalidVersion", "Error"),
                    "404": answer(
                        "NotFound: no such id or version for this tenant (another tenant's "
                        "reads the same)",
                        "Error",
                    ),
                },
            },
        },
    }


OPENAPI_PATHS: dict[str, Any] = {
    **_config_paths("taxonomies", "Taxonomy", "TaxonomyList", "taxonomy_id"),
    **_config_paths("journeys", "Journey", "JourneyList", "journey_id"),
}
