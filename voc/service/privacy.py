"""`POST /v1/erasure`: delete what voc stores about one customer (GDPR art. 17, PDPA, UU PDP).

A customer is named by the `customer_id` metadata key the documents were sent with. Their job
documents and results and the alerts about them are deleted; the answer says what was removed,
and the deletion log keeps the counts, the tenant and a hash of the id, never the data.

An erasure deletes only the caller's tenant's data, and there is deliberately no cross-tenant
path (not even for an operator): a customer id is an identifier of one tenant's customer, so
the same id in another tenant names someone else, whose data an erasure by id across tenants
would destroy. An operator acting for a tenant uses a key of that tenant
(`voc keys create --tenant T --scopes privacy`). The `privacy` scope is needed, and it
grants nothing else: `admin` (which activates models) does not erase."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from voc.jobs import deletions
from voc.service import jobs
from voc.service.auth import caller, principal
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
    services, tenant = state(current_app), principal().tenant
    erased = jobs.job_store(current_app).erase_customer(customer_id, tenant=tenant)
    jobs.forget_reports(current_app, erased["jobs"])
    alerts = services.alerts.erase_customer(customer_id, tenant=tenant)
    removed = {**erased["removed"], "alerts": alerts}
    target = deletions.customer_hash(customer_id)
    with services.engine.begin() as connection:
        deletions.record(connection, "erasure", target, removed, actor=caller(), tenant=tenant)
    return jsonify({"customer": target, "removed": removed, "jobs": erased["jobs"]})
