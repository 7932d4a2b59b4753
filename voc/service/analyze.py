"""`POST /v1/analyze`: a few documents, answered synchronously through the batcher."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from voc.nlp.batch import result_dict
from voc.nlp.validation import DocumentError
from voc.service.auth import principal
from voc.service.batcher import DeadlineExceeded, Overloaded
from voc.service.configuration import resolve_for_analysis
from voc.service.errors import ApiError
from voc.service.schemas import json_body, parse_analyze_request
from voc.service.state import state

bp = Blueprint("analyze", __name__)

RETRY_AFTER_SECONDS = "1"


def overloaded_message(err: Overloaded) -> str:
    return f"{err}; retry after {RETRY_AFTER_SECONDS} s or send large batches to POST /v1/jobs"


def _overloaded(err: Overloaded) -> ApiError:
    return ApiError(
        429, "Overloaded", overloaded_message(err), {"Retry-After": RETRY_AFTER_SECONDS}
    )


@bp.post("/v1/analyze")
def analyze():
    services = state(current_app)
    try:
        services.batcher.check_admission()
    except Overloaded as err:
        raise _overloaded(err) from err
    request_body = parse_analyze_request(json_body(request), services.settings.limits)
    tenant = principal().tenant
    taxonomy, journey = resolve_for_analysis(
        services.config_store, request_body.taxonomy, request_body.journey, tenant=tenant
    )
    try:
        analyses, model_versions = (
            services.batcher.analyze_versioned(
                request_body.feedback,
                request_body.features,
                timeout=services.settings.analyze_timeout_s,
                taxonomy=taxonomy,
                journey=journey,
            )
            if request_body.feedback
            else ([], services.analyzer.model_versions)
        )
    except Overloaded as err:
        raise _overloaded(err) from err
    except DeadlineExceeded as err:
        raise ApiError(
            503,
            "Timeout",
            f"no answer within {services.settings.analyze_timeout_s} s: the service is busy; "
            f"retry after {RETRY_AFTER_SECONDS} s or send large batches to POST /v1/jobs",
            {"Retry-After": RETRY_AFTER_SECONDS},
        ) from err
    failed = [a for a in analyses if isinstance(a, DocumentError)]
    analysed = [
        (f, a)
        for f, a in zip(request_body.feedback, analyses, strict=True)
        if not isinstance(a, DocumentError)
    ]
    analyses = [a for _, a in analysed]
    errors = [*request_body.errors, *failed]
    redact = request_body.redact or services.settings.redact
    services.alerts.submit(
        [f for f, _ in analysed], analyses, journey, redact=redact, tenant=tenant
    )
    services.metrics.documents.labels("analyzed").inc(len(analyses))
    services.metrics.documents.labels("rejected").inc(len(errors))
    return jsonify(
        {
            "model_versions": {
                **model_versions,
                "taxonomy": taxonomy.key,
                "journey": journey.key,
            },
            "documents": [
                result_dict(f, a, redact, with_text="pii" in request_body.features)
                for f, a in analysed
            ],
            "errors": [{"id": e.id, "code": e.code, "message": e.message} for e in errors],
        }
    )
