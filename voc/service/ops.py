"""Operations and discovery: health, readiness, metrics, limits, the OpenAPI document, docs."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template

from voc.service.errors import error_response
from voc.service.openapi import openapi_document
from voc.service.state import state
from voc.storage import is_reachable

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    services = state(current_app)
    if not is_reachable(services.engine):
        return error_response(503, "NotReady", "the database is not reachable; check DATABASE_URL")
    return jsonify(
        {
            "status": "ready",
            "model_versions": services.analyzer.model_versions,
            "auth": "open (loopback, no API key)" if services.guard.is_open() else "api_keys",
        }
    )


@bp.get("/metrics")
def metrics() -> Response:
    services = state(current_app)
    return services.metrics.render()


@bp.get("/v1/limits")
def limits():
    return jsonify(state(current_app).settings.public_limits())


@bp.get("/openapi.json")
def openapi():
    return jsonify(_document())


@bp.get("/docs")
def docs():
    return render_template("docs.html", spec=_document())


def _document() -> dict:
    services = state(current_app)
    return openapi_document(services.settings, open_access=services.guard.is_open())
