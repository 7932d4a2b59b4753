"""The batch-job part of the OpenAPI document (merged into `voc.service.openapi`)."""

from __future__ import annotations

from typing import Any

from voc.jobs.types import STATUSES
from voc.nlp.pii import REDACT_MODES
from voc.report.export import XLSX_MIMETYPE
from voc.service.openapi_parts import UNKNOWN_CONFIGURATION, error_response, json_response, ref

MAX_LIST = 500
"""The most jobs `GET /v1/jobs` lists at once."""

JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
TIME = {"type": ["string", "null"], "format": "date-time"}


THEME_KEY = {
    "kind": {"type": "string", "enum": ["topic", "root_cause"]},
    "id": {"type": "string"},
    "label": {"type": "string"},
}
"""The properties naming a theme in the report's comparison tables."""
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


def job_schemas() -> dict[str, Any]:
    return {
        "JobDeleted": {
            "type": "object",
            "properties": {"job_id": {"type": "string"}, "removed": COUNTS},
            "required": ["job_id", "removed"],
        },
        "ErasureRequest": {
            "type": "object",
            "properties": {"customer_id": {"type": "string", "minLength": 1, "maxLength": 200}},
            "required": ["customer_id"],
        },
        "Erasure": {
            "type": "object",
            "properties": {
                "customer": {"type": "string", "description": "sha256 of the customer id"},
                "removed": COUNTS,
                "jobs": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "the caller's jobs that held the customer's documents",
                },
            },
            "required": ["customer", "removed", "jobs"],
        },
        "Job": {
            "type": "object",
            "properties": {
                "job_id": {"type": "string"},
                "status": {"type": "string", "enum": list(STATUSES)},
                "progress": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer", "minimum": 0},
                        "done": {"type": "integer", "minimum": 0},
                        "failed": {"type": "integer", "minimum": 0},
                    },
                    "required": ["total", "done", "failed"],
                },
                "created_at": TIME,
                "started_at": TIME,
                "finished_at": TIME,
                "error": {"type": ["string", "null"]},
                "warnings": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "e.g. the file was not UTF-8 and was read as Windows-1252",
                },
                "options": {"type": "object", "description": "features, taxonomy, journey, redact"},
                "source": {"type": "object", "description": "json, or the file's name/format"},
                "model_versions": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": {"type": "string"}},
                    "description": "the model versions that analysed its chunks so far, each "
                    "distinct set once (more than one when an activation happened meanwhile)",
                },
            },
            "required": [
                "job_id",
                "status",
                "progress",
                "created_at",
                "started_at",
                "finished_at",
                "error",
            ],
        },
        "JobSubmitted": {
            "type": "object",
            "properties": {
                "job_id": {"type": "string"},
                "status": {"type": "string", "enum": list(STATUSES)},
                "total": {"type": "integer"},
                "warnings": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["job_id", "status"],
        },
        "JobList": {
            "type": "object",
            "properties": {"jobs": {"type": "array", "items": ref("Job")}},
            "required": ["jobs"],
        },
        "JobFileUpload": {
            "type": "object",
            "properties": {
                "file": {
                    "type": "string",
                    "format": "binary",
                    "description": "CSV/TSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM; else read "
                    "as Windows-1252 with a warning), JSONL or Parquet",
                },
                "format": {"type": "string", "enum": ["csv", "tsv", "jsonl", "parquet", "xlsx"]},
                "text_column": {"type": "string", "default": "text"},
                "id_column": {"type": "string", "description": "default: id, else row numbers"},
                "language_column": {"type": "string"},
                "metadata_columns": {"type": "string", "description": "comma-separated"},
                "features": {"type": "string", "description": "comma-separated or a JSON list"},
                "taxonomy": {"type": "string"},
                "journey": {"type": "string"},
                "redact": {"type": "string", "enum": list(REDACT_MODES)},
            },
            "required": ["file"],
        },
        "Report": {
            "description": "The analyst's report as data (the HTML page renders the same)",
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "summary": {"type": "object"},
                "topics": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "label": {"type": "string"},
                            "theme": {
                                "type": "string",
                                "description": "the top-level theme ('' with one level)",
                            },
                            "keywords": {"type": "array", "items": {"type": "string"}},
                            "size": {"type": "integer"},
                            "sentiment": {"type": "object"},
                            "touchpoints": {"type": "object"},
                            "examples": {"type": "array"},
                        },
                        "required": [
                            "id",
                            "label",
                            "keywords",
                            "size",
                            "sentiment",
                            "touchpoints",
                            "examples",
                        ],
                    },
                },
                "top_themes": {
                    "type": "array",
                    "description": "Top-level themes, each with its subtopics (the topics of "
                    "`topics` whose `theme` it is), largest first; empty when topics are few "
                    "enough to read without a second level",
                    "items": {
                        "type": "object",
                        "properties": {
                            "label": {"type": "string"},
                            "subtopics": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "label": {"type": "string"},
                                    },
                                },
                            },
                            "size": {"type": "integer"},
                            "sentiment": {"type": "object"},
                        },
                        "required": ["label", "subtopics", "size", "sentiment"],
                    },
                },
                "root_causes": {"type": "array"},
                "touchpoints": {"type": "array"},
                "drivers": {
                    "type": "array",
                    "description": "Costs first (more negative than positive comments, by "
                    "negative count), then strengths, then balanced themes",
                    "items": {
                        "type": "object",
                        "properties": {
                            "role": {"enum": ["cost", "strength", "balanced"]},
                            "volume": {"type": "integer"},
                            "negative": {"type": "integer"},
                            "positive": {"type": "integer"},
                            "scored": {"type": "integer"},
                            "low_n": {"type": "boolean"},
                            "ci_crosses_zero": {"type": "boolean"},
                        },
                        "required": ["role", "volume", "negative", "positive"],
                    },
                },
                "expectation_gaps": {"type": "array"},
                "data_notes": {
                    "type": "object",
                    "properties": {
                        "refused": {"type": "integer"},
                        "ignored_scores": {"type": "object"},
                        "low_confidence_languages": {"type": "object"},
                    },
                    "required": ["refused", "ignored_scores", "low_confidence_languages"],
                },
                "coverage": {
                    "type": "object",
                    "description": "Share of negative comments with a root cause, overall, "
                    "per language and per source",
                    "properties": {
                        "negative": {"type": "integer"},
                        "with_root_cause": {"type": "integer"},
                        "share": {"type": ["number", "null"]},
                        "by_language": {"type": "array"},
                        "by_source": {"type": "array"},
                    },
                    "required": ["negative", "with_root_cause", "share"],
                },
                "segments": {
                    "type": ["object", "null"],
                    "description": "Theme x segment (the `segment` metadata key) shares, with "
                    "significant differences marked; null without two segments",
                },
                "emerging": {
                    "type": "object",
                    "description": "Themes significantly above their baseline in the last "
                    "period; a job's emerging root causes raise the alerts of rules with "
                    "`emerging: true` when it completes (once; building the report repeats none)",
                    "properties": {
                        "test": {"type": "string"},
                        "themes": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    **THEME_KEY,
                                    "period": {"type": "string"},
                                    "count": {"type": "integer"},
                                    "period_comments": {"type": "integer"},
                                    "share": {"type": "number"},
                                    "baseline_count": {"type": "integer"},
                                    "baseline_comments": {"type": "integer"},
                                    "baseline_share": {"type": "number"},
                                    "p_value": {"type": "number"},
                                },
                                "required": ["kind", "id", "period", "count", "p_value"],
                            },
                        },
                    },
                    "required": ["test", "themes"],
                },
                "period_change": {
                    "type": "object",
                    "description": "Each theme's count and share in the last period against "
                    "the period before, the change in percentage points and whether Fisher's "
                    "exact test marks it significant; no rows and a `note` without two periods",
                    "properties": {
                        "period": {
                            "type": ["string", "null"],
                            "enum": ["day", "week", "month", None],
                        },
                        "last": {"type": ["string", "null"]},
                        "previous": {"type": ["string", "null"]},
                        "last_comments": {"type": "integer"},
                        "previous_comments": {"type": "integer"},
                        "test": {"type": "string"},
                        "note": {"type": ["string", "null"]},
                        "rows": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    **THEME_KEY,
                                    "count": {"type": "integer"},
                                    "share": {"type": "number"},
                                    "previous_count": {"type": "integer"},
                                    "previous_share": {"type": "number"},
                                    "change_pp": {"type": "number"},
                                    "p_value": {"type": "number"},
                                    "significant": {"type": "boolean"},
                                },
                                "required": [
                                    "kind",
                                    "id",
                                    "count",
                                    "previous_count",
                                    "change_pp",
                                    "significant",
                                ],
                            },
                        },
                    },
                    "required": ["period", "last", "previous", "test", "rows", "note"],
                },
            },
            "required": [
                "topics",
                "root_causes",
                "touchpoints",
                "drivers",
                "expectation_gaps",
                "data_notes",
                "coverage",
            ],
        },
        "JobResultLine": {
            "description": "One line of the results: an Analysis, or a refused row",
            "anyOf": [
                ref("Analysis"),
                {
                    "type": "object",
                    "properties": {
                        "id": {"type": ["string", "null"]},
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                            "required": ["code", "message"],
                        },
                    },
                    "required": ["id", "error"],
                },
            ],
        },
    }


def job_paths() -> dict[str, Any]:
    idempotency = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 200},
        "description": "the same key and body replay the same job; another body -> 409",
    }
    return {
        "/v1/jobs": {
            "post": {
                "summary": "Submit a batch job (JSON documents or a file)",
                "parameters": [idempotency],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": ref("AnalyzeRequest")},
                        "multipart/form-data": {"schema": ref("JobFileUpload")},
                    },
                },
                "responses": {
                    "202": json_response(
                        "Stored; Location: /v1/jobs/{job_id}", ref("JobSubmitted")
                    ),
                    "400": error_response(
                        "Invalid body or file (EmptyFile, InvalidEncoding, MissingColumn, "
                        "UnsupportedFormat, InvalidRequest, UnknownFeature)"
                    ),
                    "404": UNKNOWN_CONFIGURATION,
                    "409": error_response("Idempotency-Key reused for a different request"),
                    "413": error_response("Larger than max_upload_bytes / max_job_json_bytes"),
                    "415": error_response("Neither application/json nor multipart/form-data"),
                },
            },
            "get": {
                "summary": "List jobs, newest first",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"enum": list(STATUSES)}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_LIST,
                            "default": 50,
                        },
                    },
                ],
                "responses": {
                    "200": json_response("Jobs", ref("JobList")),
                    "400": error_response("Bad query"),
                },
            },
        },
        "/v1/jobs/{job_id}": {
            "get": {
                "summary": "A job with its live progress",
                "parameters": [JOB_ID],
                "responses": {
                    "200": json_response("The job", ref("Job")),
                    "404": error_response("No job"),
                },
            },
            "delete": {
                "summary": "Delete a job: its documents, chunks and results (logged without data)",
                "parameters": [JOB_ID],
                "responses": {
                    "200": json_response("What was removed", ref("JobDeleted")),
                    "404": error_response("No job"),
                },
            },
        },
        "/v1/jobs/{job_id}/results": {
            "get": {
                "summary": "Committed results in input order, streamed (also while running)",
                "parameters": [
                    JOB_ID,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"enum": ["jsonl", "csv", "xlsx"], "default": "jsonl"},
                        "description": "xlsx: the coded comments (id, text, metadata columns, "
                        "sentiment, top cause, causes and touchpoints `;`-joined, theme, "
                        "subtopic) of the analysed rows",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "One line per document; header X-Job-Status",
                        "content": {
                            "application/x-ndjson": {"schema": ref("JobResultLine")},
                            "text/csv": {"schema": {"type": "string"}},
                            XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "400": error_response("Unknown format"),
                    "404": error_response("No job"),
                },
            }
        },
        "/v1/jobs/{job_id}/report": {
            "get": {
                "summary": "The analyst's report over the job's results: one self-contained page",
                "parameters": [JOB_ID],
                "responses": {
                    "200": {
                        "description": "HTML page (charts inlined)",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                    "404": error_response("No job"),
                },
            }
        },
        "/v1/jobs/{job_id}/report.json": {
            "get": {
                "summary": "The same report as data (topics, root causes, touchpoints, drivers...)",
                "parameters": [JOB_ID],
                "responses": {
                    "200": json_response("Report", ref("Report")),
                    "404": error_response("No job"),
                },
            }
        },
        "/v1/erasure": {
            "post": {
                "summary": "Delete every stored document, result and alert of one customer "
                "(the customer_id metadata key) of the caller's tenant",
                "description": "Only the caller's tenant's data: the same customer_id in "
                "another tenant names another tenant's customer and is left as it is. Needs "
                "the privacy scope, which grants nothing else (admin does not grant it).",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("ErasureRequest")}},
                },
                "responses": {
                    "200": json_response("What was removed", ref("Erasure")),
                    "400": error_response("No customer_id"),
                    "403": error_response(
                        "Forbidden: the key lacks the privacy scope (admin does not grant "
                        "it), or CrossOrigin"
                    ),
                },
            }
        },
        "/v1/jobs/{job_id}/stop": {
            "post": {
                "summary": "Stop a job: chunks in hand finish, nothing new starts",
                "parameters": [JOB_ID],
                "responses": {
                    "200": json_response("Stopped or already finished", ref("Job")),
                    "202": json_response(
                        "Stop requested; a chunk in hand is finishing", ref("Job")
                    ),
                    "404": error_response("No job"),
                },
            }
        },
    }
