"""The alert part of the OpenAPI document (merged into `voc.service.openapi`)."""

from __future__ import annotations

from typing import Any

from voc.alerts.service import STATUSES

MAX_INT64 = 2**63 - 1
MAX_PAGE = 200

_CONDITION_IDS = {"type": "array", "items": {"type": "string"}, "minItems": 1}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "AlertRules": {
        "type": "object",
        "description": "Every condition of a rule's `when` must hold; see voc/alerts/rules.py.",
        "properties": {
            "version": {"type": "integer"},
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "description": {"type": "string"},
                        "route_to": {
                            "type": ["string", "null"],
                            "description": "touchpoint whose owner gets the alert "
                            "(default: the document's best touchpoint)",
                        },
                        "when": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": False,
                            "properties": {
                                "sentiment": _CONDITION_IDS,
                                "churn_risk_at_least": {
                                    "type": "number",
                                    "minimum": 0,
                                    "maximum": 1,
                                },
                                "root_causes": _CONDITION_IDS,
                                "touchpoints": _CONDITION_IDS,
                                "expectation_gap_kinds": _CONDITION_IDS,
                                "detractor": {"type": "boolean"},
                                "customer_value_at_least": {"type": "number", "minimum": 0},
                                "emerging": {
                                    "const": True,
                                    "description": "match the root causes emerging in a "
                                    "finished job's report instead of documents; combine only "
                                    "with root_causes and touchpoints",
                                },
                            },
                        },
                    },
                    "required": ["id", "when"],
                },
            },
        },
        "required": ["rules"],
    },
    "Alert": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "also the webhook-id header"},
            "rule_id": {"type": "string"},
            "document_id": {
                "type": "string",
                "description": "the document that raised it; the job, for an emerging issue",
            },
            "touchpoint": {"type": ["string", "null"]},
            "owner": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "email": {"type": ["string", "null"]},
                            "webhook_url": {"type": ["string", "null"]},
                        },
                        "required": ["name"],
                    },
                    {"type": "null"},
                ]
            },
            "status": {"type": "string", "enum": list(STATUSES)},
            "attempts": {"type": "integer", "minimum": 0},
            "last_error": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "delivered_at": {"type": ["string", "null"], "format": "date-time"},
            "payload": {
                "type": "object",
                "description": "the webhook body: type voc.alert (data.document) or "
                "voc.alert.emerging (data.job, data.emerging: cause, period counts, baseline, "
                "p_value, test)",
            },
        },
        "required": ["id", "rule_id", "document_id", "status", "attempts", "payload"],
    },
    "AlertList": {
        "type": "object",
        "properties": {
            "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
            "total": {"type": "integer"},
            "next_offset": {"type": ["integer", "null"]},
        },
        "required": ["alerts", "total", "next_offset"],
    },
}


def _json(description: str, schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


OPENAPI_PATHS: dict[str, Any] = {
    "/v1/alerts": {
        "get": {
            "summary": "Alerts sent (or being sent) to touchpoint owners, newest first",
            "description": "Webhooks are signed Standard Webhooks style: headers webhook-id, "
            "webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of "
            "'id.timestamp.body'> with the configured secret).",
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(STATUSES)},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50},
                },
                {
                    "name": "offset",
                    "in": "query",
                    "schema": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_INT64,
                        "default": 0,
                    },
                },
            ],
            "responses": {
                "200": _json("A page of alerts", "AlertList"),
                "400": _json("Invalid query (InvalidQuery)", "Error"),
            },
        }
    },
    "/v1/alert-rules": {
        "get": {
            "summary": "The alert rules in force for the caller's tenant: its own, or the "
            "shipped ones until it stores some",
            "responses": {"200": _json("Rules with their version", "AlertRules")},
        },
        "put": {
            "summary": "Replace the caller's tenant's alert rules (a new version; each tenant "
            "counts its own from 1)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/AlertRules"}}
                },
            },
            "responses": {
                "200": _json("The stored rules with their version", "AlertRules"),
                "400": _json("Invalid rules; the message names the bad field", "Error"),
            },
        },
    },
}
