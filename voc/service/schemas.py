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
from voc.nlp.validation import DocumentError, validate_unique_document, value_problem
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
    return parse_json(text, "the body")


def parse_json(text: str, what: str) -> Any:
    """JSON text -> value, or a 400 naming the problem: invalid JSON, nesting too deep for
    the parser, integer literals beyond Python's 4,300 digits, and anything `value_problem`
    refuses (lone surrogates, non-finite numbers, deep nesting), naming the field."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ApiError(
            400,
            "InvalidJson",
            f"{what} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}",
        ) from err
    except RecursionError as err:
        raise ApiError(400, "InvalidJson", f"{what} is nested too deeply") from err
    except ValueError as err:  # int literals beyond sys.get_int_max_str_digits()
        raise ApiError(400, "InvalidJson", f"{what} holds a number that is too long") from err
    problem = _body_problem(value)
    if problem:
        raise ApiError(400, "InvalidValue", problem)
    return value


def _body_problem(body: Any) -> str | None:
    """`value_problem` over a body; a lone surrogate inside `documents` is left to that
    document's validation, so it fails alone instead of failing the request."""
    if not isinstance(body, dict) or "documents" not in body:
        return value_problem(body, "body")
    rest = {key: value for key, value in body.items() if key != "documents"}
    return value_problem(rest, "body") or value_problem(
        body["documents"], "body.documents", strings=False
    )


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
