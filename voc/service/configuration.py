"""`/v1/taxonomies` and `/v1/journeys`: configuration as data, versioned, validated at the door.

Also resolves the `taxonomy` / `journey` of an analysis request ("default", a stored id, or an
inline object) into validated values, with the same errors as the endpoints.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from voc.nlp.fields import InvalidFieldError
from voc.nlp.journey import Journey, journey_to_dict
from voc.nlp.taxonomy import Taxonomy, check_touchpoints, parse_taxonomy, taxonomy_to_dict
from voc.service.config_store import DEFAULT_ID, ConfigStore, ReservedIdError, UnknownConfigError
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


def _version_arg() -> int | None:
    raw = request.args.get("version")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "InvalidVersion", "version must be a positive integer")
    return int(raw)


def _not_found(err: UnknownConfigError, kind: str) -> ApiError:
    return ApiError(404, "NotFound", f"{err}; GET /v1/{kind} lists them")


def _put(put, config_id: str, to_dict) -> Any:
    try:
        stored, created = put(config_id, json_body(request))
    except InvalidFieldError as err:
        raise invalid(err) from err
    except ReservedIdError as err:
        raise ApiError(400, "ReservedId", str(err)) from err
    return jsonify(to_dict(stored)), 201 if created else 200


@bp.put("/v1/taxonomies/<config_id>")
def put_taxonomy(config_id: str):
    return _put(_store().put_taxonomy, config_id, taxonomy_to_dict)


@bp.get("/v1/taxonomies/<config_id>")
def get_taxonomy(config_id: str):
    try:
        return jsonify(taxonomy_to_dict(_store().taxonomy(config_id, _version_arg())))
    except UnknownConfigError as err:
        raise _not_found(err, "taxonomies") from err


@bp.get("/v1/taxonomies")
def list_taxonomies():
    return jsonify({"taxonomies": [taxonomy_to_dict(t) for t in _store().list_taxonomies()]})


@bp.put("/v1/journeys/<config_id>")
def put_journey(config_id: str):
    return _put(_store().put_journey, config_id, journey_to_dict)


@bp.get("/v1/journeys/<config_id>")
def get_journey(config_id: str):
    try:
        return jsonify(journey_to_dict(_store().journey(config_id, _version_arg())))
    except UnknownConfigError as err:
        raise _not_found(err, "journeys") from err


@bp.get("/v1/journeys")
def list_journeys():
    return jsonify({"journeys": [journey_to_dict(j) for j in _store().list_journeys()]})


def resolve_for_analysis(
    store: ConfigStore, taxonomy_ref: str | dict | None, journey_ref: str | dict | None
) -> tuple[Taxonomy, Journey]:
    """The taxonomy and journey an analysis request names, checked to fit together.

    Each is "default" (or absent), a stored id (404 when unknown), or an inline object (400
    naming `taxonomy.<field>` when invalid). Without a `journey`, the taxonomy's own is used.
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
            taxonomy = store.taxonomy(taxonomy_ref or DEFAULT_ID)
        except UnknownConfigError as err:
            raise _not_found(err, "taxonomies") from err
    if isinstance(journey_ref, dict):
        try:
            journey = store.parse_journey(journey_ref, journey_id=journey_ref.get("id") or "inline")
        except InvalidFieldError as err:
            raise invalid(err, "journey") from err
    else:
        try:
            journey = store.journey(journey_ref or taxonomy.journey)
        except UnknownConfigError as err:
            raise _not_found(err, "journeys") from err
    try:
        check_touchpoints(taxonomy, journey)
    except InvalidFieldError as err:
        raise invalid(err) from err
    return taxonomy, journey
