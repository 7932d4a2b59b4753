"""`POST /v1/analyze`: a few documents, answered synchronously through the batcher."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from voc.nlp.batch import result_dict
from voc.service.batcher import Overloaded
from voc.service.configuration import resolve_for_analysis
from voc.service.errors import ApiError
from voc.service.schemas import json_body, parse_analyze_request
from voc.service.state import state

bp = Blueprint("analyze", __name__)

RETRY_AFTER_SECONDS = "1"


@bp.post("/v1/analyze")
def analyze():
    services = state(current_app)
    request_body = parse_analyze_request(json_body(request), services.settings.limits)
    taxonomy, journey = resolve_for_analysis(
        services.config_store, request_body.taxonomy, request_body.journey
    )
    try:
        analyses, model_versions = (
            services.batcher.analyze_versioned(
                request_body.feedback, request_body.features, taxonomy=taxonomy, journey=journey
            )
            if request_body.feedback
            else ([], services.analyzer.model_versions)
        )
    except Overloaded as err:
        raise ApiError(
            429,
            "Overloaded",
            f"{err}; retry after {RETRY_AFTER_SECONDS} s or send large batches to POST /v1/jobs",
            {"Retry-After": RETRY_AFTER_SECONDS},
        ) from err
    redact = request_body.redact or services.settings.redact
    services.alerts.submit(request_body.feedback, analyses, journey, redact=redact)
    services.metrics.documents.labels("analyzed").inc(len(analyses))
    services.metrics.documents.labels("rejected").inc(len(request_body.errors))
    return jsonify(
        {
            "model_versions": {
                **model_versions,
                "taxonomy": taxonomy.key,
                "journey": journey.key,
            },
            "documents": [
                result_dict(f, a, redact, with_text="pii" in request_body.features)
                for f, a in zip(request_body.feedback, analyses, strict=True)
            ],
            "errors": [
                {"id": e.id, "code": e.code, "message": e.message} for e in request_body.errors
            ],
        }
    )
