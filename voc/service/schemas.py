"""Parse and validate request bodies once, at the boundary, into library values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Request

from voc.config import Limits
from voc.nlp.analyzer import FEATURES
from voc.nlp.batch import request_options
from voc.nlp.pii import REDACT_MODES
from voc.nlp.types import SUPPORTED_LANGUAGES, Feedback
from voc.nlp.validation import DocumentError, validate_unique_document
from voc.service.errors import ApiError


@dataclass(frozen=True)
class AnalyzeRequest:
    features: tuple[str, ...]
    feedback: list[Feedback]
    errors: list[DocumentError]
    taxonomy: str | dict[str, Any] | None = None
    """None ("default"), a stored id, or an inline object (validated when resolved)."""
    journey: str | dict[str, Any] | None = None
    redact: str | None = None
    """"none", "mask" or "drop_text"; None: the deployment's `Settings.redact`."""


def json_body(request: Request) -> Any:
    """The parsed JSON body, or a 400/415 that says what is wrong with it."""
    if not request.is_json:
        raise ApiError(
            415, "UnsupportedMediaType", "send the body with Content-Type: application/json"
        )
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(
            400,
            "InvalidEncoding",
            f"the body is not valid UTF-8 (byte {err.start}); encode it as UTF-8",
        ) from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ApiError(
            400,
            "InvalidJson",
            f"the body is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}",
        ) from err


def _features(payload: dict) -> tuple[str, ...]:
    requested = payload.get("features")
    if requested is None:
        return FEATURES
    if not isinstance(requested, list) or not all(isinstance(f, str) for f in requested):
        raise ApiError(400, "InvalidFeatures", "features must be a list of feature names")
    unknown = [f for f in requested if f not in FEATURES]
    if unknown:
        raise ApiError(
            400, "UnknownFeature", f"unknown features {unknown}; known: {list(FEATURES)}"
        )
    if not requested:
        raise ApiError(400, "InvalidFeatures", "features is empty; omit it to get every feature")
    return tuple(f for f in FEATURES if f in requested)


def _config_reference(payload: dict, key: str) -> str | dict[str, Any] | None:
    """`taxonomy` / `journey`: absent or "default" (None), a stored id, or an inline object."""
    value = payload.get(key)
    if value is None or value == "default":
        return None
    if isinstance(value, str | dict):
        return value
    raise ApiError(
        400,
        "InvalidRequest",
        f'{key} must be "default", the id of a stored {key}, or an inline {key} object',
    )


def _redact(payload: dict) -> str | None:
    value = payload.get("redact")
    if value is None or value in REDACT_MODES:
        return value
    raise ApiError(
        400, "InvalidRedact", f"redact must be one of {list(REDACT_MODES)}, not {value!r}"
    )


def parse_options(payload: dict) -> dict[str, Any]:
    """A request's analysis options (all but its documents), validated, as JSON to pass on."""
    _redact(payload)
    features = _features(payload)
    _config_reference(payload, "taxonomy")
    _config_reference(payload, "journey")
    return {**request_options(payload), "features": list(features)}


def parse_analyze_request(payload: Any, limits: Limits) -> AnalyzeRequest:
    if not isinstance(payload, dict):
        raise ApiError(400, "InvalidRequest", 'the body must be a JSON object with "documents"')
    documents = payload.get("documents")
    if not isinstance(documents, list) or not documents:
        raise ApiError(400, "InvalidRequest", '"documents" must be a non-empty list of objects')
    if len(documents) > limits.max_documents_per_request:
        raise ApiError(
            400,
            "BatchTooLarge",
            f"{len(documents)} documents; the limit is {limits.max_documents_per_request} per "
            "request: split the request or use POST /v1/jobs",
        )
    features = _features(payload)
    taxonomy = _config_reference(payload, "taxonomy")
    journey = _config_reference(payload, "journey")
    feedback, errors, seen = [], [], set()
    for index, raw in enumerate(documents):
        result = validate_unique_document(
            raw,
            index=index,
            max_characters=limits.max_characters_per_document,
            supported_languages=SUPPORTED_LANGUAGES,
            seen=seen,
        )
        if isinstance(result, DocumentError):
            errors.append(result)
        else:
            feedback.append(result)
    return AnalyzeRequest(features, feedback, errors, taxonomy, journey, _redact(payload))
