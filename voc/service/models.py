"""`GET /v1/models`, `POST /v1/models/{name}/activate`, `POST /v1/models/{name}/rollback`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from voc.registry import store
from voc.registry.entry import Entry
from voc.service.auth import caller
from voc.service.errors import ApiError
from voc.service.schemas import json_body
from voc.service.state import state

bp = Blueprint("models", __name__)


def entry_summary(entry: Entry, *, active: bool) -> dict[str, Any]:
    """What a client needs to judge a version: when, from what data and code, how it scored."""
    return {
        "name": entry.name,
        "version": entry.version,
        "active": active,
        "created_at": entry.created_at,
        "code_version": entry.code_version,
        "training_data": entry.training_data,
        "metrics": [
            {
                "set": e["set"],
                "name": e["name"],
                "metric": e["metric"],
                "groups": e["groups"],
                **(
                    {"calibration_error": e["calibration_error"]}
                    if "calibration_error" in e
                    else {}
                ),
            }
            for e in entry.evaluations
        ],
    }


@bp.get("/v1/models")
def list_models():
    services = state(current_app)
    registry = services.models.registry
    active = registry.active()
    return jsonify(
        {
            "model_versions": services.analyzer.model_versions,
            "models": [
                {
                    **entry_summary(entry, active=True),
                    "versions": [e.version for e in registry.versions(name)],
                }
                for name, entry in active.items()
            ],
        }
    )


def _result(result: store.ActivationResult) -> Any:
    return jsonify(
        {
            "name": result.name,
            "version": result.version,
            "previous": result.previous,
            "changed": result.changed,
            "forced": result.forced,
            "overridden": result.overridden,
            "model_versions": state(current_app).analyzer.model_versions,
        }
    )


def _switch(action):
    try:
        return _result(action())
    except store.UnknownModel as err:
        raise ApiError(404, "UnknownModel", str(err)) from err
    except store.ActivationRefused as err:
        raise ApiError(409, err.code, str(err)) from err
    except (OSError, ValueError, RuntimeError) as err:
        raise ApiError(
            409,
            "LoadFailed",
            f"the version did not load ({type(err).__name__}: {err}); nothing was changed",
        ) from err


@bp.post("/v1/models/<name>/activate")
def activate(name: str):
    body = json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("version"), str):
        raise ApiError(
            400, "InvalidRequest", 'send {"version": "<version>", "force": false} as the body'
        )
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise ApiError(400, "InvalidRequest", '"force" must be true or false')
    models = state(current_app).models
    return _switch(lambda: models.activate(name, body["version"], force=force, by=caller()))


@bp.post("/v1/models/<name>/rollback")
def rollback(name: str):
    models = state(current_app).models
    return _switch(lambda: models.rollback(name, by=caller()))
