"""The alert endpoints: `GET /v1/alerts`, `GET/PUT /v1/alert-rules` over the app's
`AlertService` (`voc.alerts.service`, which stores and delivers), each for the caller's tenant."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from voc.alerts.rules import rules_to_dict
from voc.alerts.service import STATUSES, AlertService
from voc.nlp.fields import InvalidFieldError
from voc.service.auth import principal
from voc.service.errors import ApiError
from voc.service.openapi_alerts import MAX_INT64, MAX_PAGE
from voc.service.schemas import json_body
from voc.service.state import state

bp = Blueprint("alerts", __name__)


def _service() -> AlertService:
    return state(current_app).alerts


@bp.get("/v1/alerts")
def list_alerts():
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "InvalidQuery", f"status must be one of {list(STATUSES)}")
    limit = _int_arg("limit", 50, 1, MAX_PAGE)
    offset = _int_arg("offset", 0, 0, None)
    listed = _service().list_alerts(
        status=status, limit=limit, offset=offset, tenant=principal().tenant
    )
    return jsonify(listed)


@bp.get("/v1/alert-rules")
def get_alert_rules():
    return jsonify(rules_to_dict(_service().rules(principal().tenant)))


@bp.put("/v1/alert-rules")
def put_alert_rules():
    raw = json_body(request)
    try:
        rules = _service().replace_rules(raw, tenant=principal().tenant)
    except InvalidFieldError as err:
        raise ApiError(400, "InvalidAlertRules", str(err)) from err
    return jsonify(rules_to_dict(rules))


def _int_arg(name: str, default: int, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise ApiError(400, "InvalidQuery", f"{name} must be an integer, not {raw!r}") from err
    high = MAX_INT64 if high is None else high  # what the database can compare against
    if not low <= value <= high:
        raise ApiError(400, "InvalidQuery", f"{name} must be between {low} and {high}")
    return value
