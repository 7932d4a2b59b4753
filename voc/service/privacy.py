"""`POST /v1/erasure`: delete what voc stores about one customer (GDPR art. 17, PDPA, UU PDP).

A customer is named by the `customer_id` metadata key the documents were sent with. Their job
documents and results and the alerts about them are deleted; the answer says what was removed,
and the deletion log keeps the counts and a hash of the id, never the data."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from voc.jobs import deletions
from voc.service import jobs
from voc.service.auth import caller
from voc.service.errors import ApiError
from voc.service.schemas import json_body
from voc.service.state import state

bp = Blueprint("privacy", __name__)
MAX_CUSTOMER_ID_CHARACTERS = 200


@bp.post("/v1/erasure")
def erase():
    payload = json_body(request)
    customer_id = payload.get("customer_id") if isinstance(payload, dict) else None
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= MAX_CUSTOMER_ID_CHARACTERS:
        raise ApiError(
            400,
            "InvalidRequest",
            f'send {{"customer_id": "..."}}: the value of the customer_id metadata key '
            f"(1 to {MAX_CUSTOMER_ID_CHARACTERS} characters)",
        )
    services = state(current_app)
    erased = jobs.job_store(current_app).erase_customer(customer_id)
    jobs.forget_reports(current_app, erased["jobs"])
    removed = {**erased["removed"], "alerts": services.alerts.erase_customer(customer_id)}
    target = deletions.customer_hash(customer_id)
    with services.engine.begin() as connection:
        deletions.record(connection, "erasure", target, removed, actor=caller())
    return jsonify({"customer": target, "removed": removed, "jobs": erased["jobs"]})
