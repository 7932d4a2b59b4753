"""The OpenAPI paths and schemas of the model registry endpoints (`voc/service/models.py`)."""

from __future__ import annotations

from typing import Any

from voc.service.openapi_parts import error_response, json_response, ref

MODEL_VERSIONS = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "component -> active version, e.g. sentiment: sentiment@9223055d "
    "(topics only once a topic model is active)",
}

SCHEMAS: dict[str, Any] = {
    "ModelVersionsMap": MODEL_VERSIONS,
    "ModelEvaluation": {
        "type": "object",
        "properties": {
            "set": {
                "type": "string",
                "description": "evaluation set identity (name + data hashes + row selection); "
                "versions are compared only on a shared set",
            },
            "name": {"type": "string", "examples": ["dev"]},
            "metric": {"type": "string", "examples": ["macro_f1", "accuracy"]},
            "groups": {
                "type": "object",
                "description": "lang:xx, file:name or dataset:name -> {n, metric values}; "
                "root_causes has one set per tagging mode, lang:xx being the mean over that "
                "language's datasets; a topics `fit` record is information, never compared",
                "additionalProperties": {"type": "object"},
            },
            "calibration_error": {"type": "number"},
        },
        "required": ["set", "name", "metric", "groups"],
    },
    "Model": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "version": {"type": "string"},
            "active": {"type": "boolean"},
            "created_at": {"type": "string"},
            "code_version": {
                "type": "object",
                "properties": {
                    "package": {"type": "string"},
                    "git_commit": {"type": ["string", "null"]},
                },
            },
            "training_data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"file": {"type": "string"}, "sha256": {"type": "string"}},
                    "required": ["file", "sha256"],
                },
            },
            "metrics": {"type": "array", "items": ref("ModelEvaluation")},
            "versions": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "version", "active", "created_at", "metrics", "versions"],
    },
    "ModelsResponse": {
        "type": "object",
        "properties": {
            "model_versions": ref("ModelVersionsMap"),
            "models": {"type": "array", "items": ref("Model")},
        },
        "required": ["model_versions", "models"],
    },
    "ActivateRequest": {
        "type": "object",
        "properties": {
            "version": {"type": "string", "description": "full (sentiment@9223055d) or short"},
            "force": {
                "type": "boolean",
                "default": False,
                "description": "activate even if the card, hashes or metrics checks fail",
            },
        },
        "required": ["version"],
    },
    "ActivationResponse": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "version": {"type": "string"},
            "previous": {
                "type": ["string", "null"],
                "description": "null: no version was active (a first topic model)",
            },
            "changed": {"type": "boolean"},
            "forced": {"type": "boolean"},
            "overridden": {
                "type": "array",
                "items": {"type": "string"},
                "description": "failed checks that force overrode",
            },
            "model_versions": ref("ModelVersionsMap"),
        },
        "required": ["name", "version", "previous", "changed", "forced", "model_versions"],
    },
}

_REFUSED = error_response(
    "Refused: CardMissing, ChecksumMismatch, MetricsRegression, NotComparable (no shared "
    "evaluation set), NothingToRollBack, or LoadFailed; nothing was changed"
)

PATHS: dict[str, Any] = {
    "/v1/models": {
        "get": {
            "summary": "Active model versions with their evaluation metrics",
            "responses": {"200": json_response("Active models", ref("ModelsResponse"))},
        }
    },
    "/v1/models/{name}/activate": {
        "post": {
            "summary": "Activate a registered version; the running service switches without "
            "a restart and without failing requests in flight",
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ActivateRequest")}},
            },
            "responses": {
                "200": json_response("Activated (or already active)", ref("ActivationResponse")),
                "400": error_response("Invalid body (InvalidRequest)"),
                "404": error_response("No such model or version (UnknownModel)"),
                "409": _REFUSED,
            },
        }
    },
    "/v1/models/{name}/rollback": {
        "post": {
            "summary": "Return to the version that was active before the current one",
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": json_response("Rolled back", ref("ActivationResponse")),
                "404": error_response("No such model (UnknownModel)"),
                "409": _REFUSED,
            },
        }
    },
}
