"""The OpenAPI 3.1 document served at `GET /openapi.json`.

Written as data next to the code it describes; `tests/test_openapi.py` checks that every
route of the app is documented and that real responses validate against these schemas.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from voc import __version__
from voc.config import Limits, Settings
from voc.nlp.analyzer import FEATURES
from voc.nlp.pii import PII_TYPES, REDACT_MODES
from voc.nlp.types import DOCUMENT_SENTIMENT_LABELS, SENTIMENT_LABELS, SUPPORTED_LANGUAGES
from voc.nlp.validation import SCORE_RANGES
from voc.service import configuration, openapi_alerts, openapi_models
from voc.service.auth import SCOPE_GRANTS
from voc.service.openapi_jobs import job_paths, job_schemas
from voc.service.openapi_parts import UNKNOWN_CONFIGURATION, error_response, json_response, ref
from voc.topics.fit import MAX_SEED

PROBABILITIES = {
    "type": "object",
    "properties": {
        label: {"type": "number", "minimum": 0, "maximum": 1} for label in SENTIMENT_LABELS
    },
    "required": list(SENTIMENT_LABELS),
    "additionalProperties": False,
}
SPAN_PROPERTIES = {
    "start": {"type": "integer", "minimum": 0, "description": "character offset into text"},
    "end": {"type": "integer", "minimum": 0},
    "text": {
        "type": ["string", "null"],
        "description": 'the text as returned (redacted under "mask"; null under "drop_text")',
    },
}
REDACT = {
    "type": "string",
    "enum": list(REDACT_MODES),
    "description": 'personal data in what is returned, stored and alerted: "mask" replaces '
    'each value by its type ("[EMAIL]", "[PHONE]", "[NAME]"...) and moves every offset to the '
    'masked text; "drop_text" returns no quote (offsets point into your copy); default: the '
    "deployment's setting (VOC_REDACT, mask unless changed)",
}


SPAN = {"type": "object", "properties": SPAN_PROPERTIES, "required": ["start", "end", "text"]}
NULLABLE_SPAN = {"oneOf": [SPAN, {"type": "null"}]}
QUANTITY = {
    "oneOf": [
        {
            "type": "object",
            "properties": {
                "value": {"type": "number"},
                "unit": {"type": ["string", "null"], "description": "null: a bare number"},
                **SPAN_PROPERTIES,
            },
            "required": ["value", "unit", "start", "end", "text"],
        },
        {"type": "null"},
    ]
}
INTENT_SCHEMAS: dict[str, Any] = {
    "ExpectationGap": {
        "type": "object",
        "description": "What the customer expected or was promised, and what happened instead.",
        "properties": {
            "kind": {
                "type": "string",
                "examples": ["delivery_time", "price", "size", "feature", "quality", "service"],
            },
            "kind_source": {"type": "string", "enum": ["cue", "embedding", "none"]},
            "expected": {
                "type": ["string", "null"],
                "description": "the expected number with its unit, else the expected part",
            },
            "actual": {"type": ["string", "null"]},
            "expected_span": NULLABLE_SPAN,
            "actual_span": NULLABLE_SPAN,
            "quantities": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "expected": QUANTITY,
                            "actual": QUANTITY,
                            "gap": {
                                "oneOf": [
                                    {
                                        "type": "object",
                                        "description": "actual - expected, in the smaller unit",
                                        "properties": {
                                            "value": {"type": "number"},
                                            "unit": {"type": "string"},
                                        },
                                        "required": ["value", "unit"],
                                    },
                                    {"type": "null"},
                                ]
                            },
                        },
                        "required": ["expected", "actual", "gap"],
                    },
                    {"type": "null"},
                ]
            },
            "cue": SPAN,
            "evidence": {"type": "array", "items": SPAN},
        },
        "required": ["kind", "expected", "actual", "evidence"],
    },
    "ChurnRisk": {
        "type": "object",
        "properties": {
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "signals": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {
                            "type": "string",
                            "examples": ["switch", "cancel", "never_again", "uninstall"],
                        },
                        **SPAN_PROPERTIES,
                        "weight": {"type": "number", "minimum": 0, "maximum": 1},
                        "target": {"type": ["string", "null"]},
                    },
                    "required": ["type", "start", "end", "text", "weight"],
                },
            },
            "components": {
                "type": "object",
                "description": "inputs of score: signals, sentiment (P(negative)), metadata "
                "(dissatisfaction from metadata.score)",
                "additionalProperties": {"type": ["number", "null"]},
            },
        },
        "required": ["score", "signals"],
    },
}


def _schemas(settings: Settings) -> dict[str, Any]:
    limits = settings.limits
    return {
        **openapi_models.SCHEMAS,
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string", "examples": ["BatchTooLarge"]},
                        "message": {"type": "string", "description": "says what to change"},
                    },
                    "required": ["code", "message"],
                }
            },
            "required": ["error"],
        },
        "Metadata": {
            "type": "object",
            "description": "Free keys allowed; these have a meaning. Under `redact` mask or "
            "drop_text, personal data in string values (a name, e-mail, phone or address key, "
            "or found in the value) is masked or dropped before it is stored or sent in an "
            "alert; customer_id is kept (erasure matches on it).",
            "properties": {
                "score": {"type": ["number", "null"]},
                "score_type": {
                    "type": ["string", "null"],
                    "enum": [*SCORE_RANGES, None],
                    "description": ", ".join(
                        f"{k} {lo}-{hi}" for k, (lo, hi) in SCORE_RANGES.items()
                    ),
                },
                "touchpoint": {"type": ["string", "null"]},
                "channel": {"type": ["string", "null"]},
                "customer_id": {"type": ["string", "null"]},
                "customer_value": {"type": ["number", "null"]},
                "created_at": {"type": ["string", "null"], "format": "date-time"},
            },
            "additionalProperties": True,
        },
        "Document": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 200},
                "text": {"type": "string", "maxLength": limits.max_characters_per_document},
                "language": {
                    "type": "string",
                    "default": "auto",
                    "description": f'"auto" or one of {list(SUPPORTED_LANGUAGES)}',
                },
                "metadata": ref("Metadata"),
            },
            "required": ["id", "text"],
        },
        "AnalyzeRequest": {
            "type": "object",
            "properties": {
                "documents": {
                    "type": "array",
                    "items": ref("Document"),
                    "minItems": 1,
                    "maxItems": limits.max_documents_per_request,
                },
                "features": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(FEATURES)},
                    "description": "default: every feature",
                },
                "taxonomy": {
                    "description": '"default" (the shipped one), the id of a stored taxonomy, '
                    "or an inline one",
                    "oneOf": [{"type": "string"}, ref("Taxonomy")],
                },
                "journey": {
                    "description": '"default", the id of a stored journey, or an inline one; '
                    "default: the journey the taxonomy names",
                    "oneOf": [{"type": "string"}, ref("Journey")],
                },
                "redact": REDACT,
            },
            "required": ["documents"],
        },
        "PiiSpan": {
            "type": "object",
            "properties": {
                "start": {"type": "integer", "minimum": 0},
                "end": {"type": "integer", "minimum": 0},
                "type": {"type": "string", "enum": list(PII_TYPES)},
            },
            "required": ["start", "end", "type"],
        },
        "Language": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": 'ISO 639-1, or "und" when undetermined'},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "supported": {"type": "boolean"},
            },
            "required": ["code", "confidence", "supported"],
        },
        "Sentiment": {
            "type": "object",
            "properties": {
                "label": {"type": "string", "enum": list(DOCUMENT_SENTIMENT_LABELS)},
                "score": {"type": "number", "minimum": -1, "maximum": 1},
                "probabilities": PROBABILITIES,
            },
            "required": ["label", "score", "probabilities"],
        },
        "Sentence": {
            "type": "object",
            "properties": {
                **SPAN_PROPERTIES,
                "sentiment": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string", "enum": list(SENTIMENT_LABELS)},
                        "score": {"type": "number", "minimum": -1, "maximum": 1},
                    },
                    "required": ["label", "score"],
                },
                "clauses": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": SPAN_PROPERTIES,
                        "required": ["start", "end", "text"],
                    },
                },
            },
            "required": ["start", "end", "text", "sentiment", "clauses"],
        },
        "Analysis": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "language": ref("Language"),
                "sentiment": ref("Sentiment"),
                "sentences": {"type": "array", "items": ref("Sentence")},
                "root_causes": {
                    "type": "array",
                    "items": ref("RootCause"),
                    "description": "multi-label, sorted by score; clearly positive clauses "
                    "give none",
                },
                "touchpoints": {"type": "array", "items": ref("TouchpointTag")},
                "expectation_gaps": {"type": "array", "items": ref("ExpectationGap")},
                "churn_risk": ref("ChurnRisk"),
                "topic": {
                    "oneOf": [ref("TopicAssignment"), {"type": "null"}],
                    "description": "best topic of the document's clauses; null when no topic "
                    'model is active; id -1 is the explicit "other"',
                },
                "topics": {
                    "type": "array",
                    "items": ref("TopicAssignment"),
                    "description": "every topic of the document's clauses, best first",
                },
                "pii": {
                    "type": "array",
                    "items": ref("PiiSpan"),
                    "description": "personal data found (feature pii), offsets into `text`",
                },
                "text": {
                    "type": ["string", "null"],
                    "description": "with feature pii: the text as returned (masked under "
                    '"mask", null under "drop_text"); every offset refers to it',
                },
            },
            "required": ["id"],
        },
        **INTENT_SCHEMAS,
        **openapi_alerts.OPENAPI_SCHEMAS,
        **configuration.openapi_schemas(limits),
        "TopicAssignment": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "label": {"type": "string"},
                "probability": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["id", "label", "probability"],
        },
        "DocumentError": {
            "type": "object",
            "properties": {
                "id": {"type": ["string", "null"]},
                "code": {
                    "type": "string",
                    "examples": ["TextTooLong", "EmptyText", "InvalidText", "UnsupportedLanguage"],
                },
                "message": {"type": "string"},
            },
            "required": ["id", "code", "message"],
        },
        "AnalyzeResponse": {
            "type": "object",
            "properties": {
                "model_versions": {"type": "object", "additionalProperties": {"type": "string"}},
                "documents": {"type": "array", "items": ref("Analysis")},
                "errors": {"type": "array", "items": ref("DocumentError")},
            },
            "required": ["model_versions", "documents", "errors"],
        },
        "Topic": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "label": {
                    "type": "string",
                    "description": "auto: a 2-6 word phrase from the topic's own clauses "
                    "(keywords when no phrase holds one); analyst: as renamed",
                },
                "keywords": {"type": "array", "items": {"type": "string"}},
                "size": {"type": "integer", "minimum": 0},
                "examples": {"type": "array", "items": {"type": "string"}},
                "label_source": {"type": "string", "enum": ["auto", "analyst"]},
                "is_new": {"type": "boolean"},
                "origin": {"type": "string", "description": "fit, matched, merge, split:ID"},
                "theme": {
                    "type": "string",
                    "description": "the top-level theme's label; empty when topics are at most 12",
                },
            },
            "required": ["id", "label", "keywords", "size", "examples", "label_source", "is_new"],
        },
        "TopicModel": {
            "type": "object",
            "properties": {
                "version": {"type": ["string", "null"]},
                "topics": {"type": "array", "items": ref("Topic")},
                "stats": {"type": "object"},
                "edits": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["version", "topics", "stats", "edits"],
        },
        "Limits": {
            "type": "object",
            "properties": {f.name: {"type": "integer"} for f in fields(Limits)},
            "required": [f.name for f in fields(Limits)],
        },
        **job_schemas(),
    }


_TOPIC_ID = {"name": "topic_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _edit_responses() -> dict[str, Any]:
    return {
        "200": json_response("The new active version", ref("TopicModel")),
        "400": error_response("InvalidRequest, InvalidTopicEdit (unknown id, too few to split)"),
        "404": error_response("NoTopicModel: none is active"),
    }


def _complete_responses(paths: dict[str, Any]) -> None:
    """The answers every operation with a body can give, added where it does not list them:
    the body can be malformed (400), too large (413) or, for JSON, of another type (415)."""
    for operations in paths.values():
        for operation in operations.values():
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("400", error_response("Invalid body (InvalidJson, ...)"))
                responses.setdefault("413", error_response("Body larger than the limit"))
                if "application/json" in operation["requestBody"]["content"]:
                    responses.setdefault("415", error_response("Body is not application/json"))


PUBLIC_PATHS = ("/healthz", "/readyz", "/openapi.json", "/docs", "/v1/limits")
SCOPES_TEXT = (
    "A key made by `voc keys create --tenant T --scopes ...`, acting for tenant T only. Scopes "
    "do not nest (admin grants no other): "
    + "; ".join(f"{scope}: {grants}" for scope, grants in SCOPE_GRANTS.items())
    + ". Reading configuration needs any key."
)
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": SCOPES_TEXT},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": SCOPES_TEXT},
}


def _secure(paths: dict[str, Any], *, open_access: bool) -> None:
    """Every operation but the public ones needs a key (any scope for reads of
    configuration; `voc.service.auth` says which); running open, none is needed."""
    for path, operations in paths.items():
        for operation in operations.values():
            if path in PUBLIC_PATHS:
                operation["security"] = []
                continue
            operation["security"] = [{"bearer": []}, {"apiKey": []}] + ([{}] if open_access else [])
            responses = operation["responses"]
            responses.setdefault("401", error_response("Unauthorized: no valid API key"))
            responses.setdefault(
                "403", error_response("Forbidden (the key lacks the scope) or CrossOrigin")
            )
            responses.setdefault(
                "429", error_response("RateLimited: too many requests for this key (Retry-After)")
            )


def openapi_document(settings: Settings, *, open_access: bool = True) -> dict[str, Any]:
    status = {
        "type": "object",
        "properties": {"status": {"type": "string"}},
        "required": ["status"],
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "voc: voice-of-the-customer text analytics",
            "version": __version__,
            "description": 'Every error has the body {"error": {"code", "message"}}.',
        },
        "paths": {
            **openapi_models.PATHS,
            "/v1/analyze": {
                "post": {
                    "summary": "Analyse a few documents synchronously",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": ref("AnalyzeRequest")}},
                    },
                    "responses": {
                        "200": json_response(
                            "Analyses, and per-document errors for the documents that were refused",
                            ref("AnalyzeResponse"),
                        ),
                        "400": error_response(
                            "Invalid body (InvalidJson, InvalidEncoding, InvalidRequest, "
                            "BatchTooLarge, UnknownFeature)"
                        ),
                        "404": UNKNOWN_CONFIGURATION,
                        "413": error_response("Body larger than max_request_bytes"),
                        "415": error_response("Body is not application/json"),
                        "429": error_response("Overloaded: too many documents in flight"),
                        "503": error_response("Timeout: no answer within the deadline"),
                    },
                }
            },
            **openapi_alerts.OPENAPI_PATHS,
            **configuration.OPENAPI_PATHS,
            "/v1/topics": {
                "get": {
                    "summary": "The active topic model (version null when none is active)",
                    "responses": {"200": json_response("Topic model", ref("TopicModel"))},
                }
            },
            "/v1/topics/{topic_id}": {
                "patch": {
                    "summary": "Rename a topic (the label survives refits)",
                    "parameters": [_TOPIC_ID],
                    "requestBody": _body({"label": {"type": "string"}}, ["label"]),
                    "responses": _edit_responses(),
                }
            },
            "/v1/topics/fit": {
                "post": {
                    "summary": "Fit a topic model on texts or a job's documents, register it as a "
                    "version of the `topics` model and activate it (GET /v1/models lists it; "
                    "POST /v1/models/topics/rollback returns to the previous one); a refit keeps "
                    "earlier ids and labels unless fresh",
                    "requestBody": _body(
                        {
                            "texts": {"type": "array", "items": {"type": "string"}},
                            "job_id": {"type": "string"},
                            "fresh": {"type": "boolean"},
                            "n_topics": {"type": "integer", "minimum": 0},
                            "min_topic_size": {"type": "integer", "minimum": 1},
                            "outlier_share": {"type": "number", "minimum": 0, "maximum": 0.5},
                            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
                        },
                        [],
                    ),
                    "responses": {
                        "201": json_response("The new active version", ref("TopicModel")),
                        "400": error_response("InvalidRequest, TooFewDocuments"),
                        "404": error_response("JobNotFound"),
                    },
                }
            },
            "/v1/topics/merge": {
                "post": {
                    "summary": "Merge topics into the first id listed",
                    "requestBody": _body(
                        {
                            "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
                            "label": {"type": "string"},
                        },
                        ["ids"],
                    ),
                    "responses": _edit_responses(),
                }
            },
            "/v1/topics/{topic_id}/split": {
                "post": {
                    "summary": "Split a topic in parts (new ids, flagged new)",
                    "parameters": [_TOPIC_ID],
                    "requestBody": _body(
                        {"parts": {"type": "integer", "minimum": 2, "maximum": 10}}, []
                    ),
                    "responses": _edit_responses(),
                }
            },
            **job_paths(),
            "/v1/limits": {
                "get": {
                    "summary": "The limits this service enforces",
                    "responses": {"200": json_response("Limits", ref("Limits"))},
                }
            },
            "/healthz": {
                "get": {
                    "summary": "The process is up",
                    "responses": {"200": json_response("Up", status)},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Models are loaded and the database is reachable",
                    "responses": {
                        "200": json_response("Ready", status),
                        "503": error_response("Not ready"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {
                            "description": "Prometheus text format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": json_response("OpenAPI 3.1", {"type": "object"})},
                }
            },
            "/docs": {
                "get": {
                    "summary": "Human-readable API documentation",
                    "responses": {
                        "200": {
                            "description": "HTML page",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": _schemas(settings)},
    }
    _complete_responses(document["paths"])
    _secure(document["paths"], open_access=open_access)
    document["components"]["securitySchemes"] = SECURITY_SCHEMES
    return document
