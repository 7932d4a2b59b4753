"""The small builders every OpenAPI module uses (`openapi`, `openapi_jobs`, `openapi_models`)."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_response(description: str) -> dict[str, Any]:
    return json_response(description, ref("Error"))


UNKNOWN_CONFIGURATION = error_response(
    "NotFound: the caller's tenant stored no taxonomy or journey with that id (another "
    "tenant's answers the same)"
)
"""The 404 of the operations that name a stored taxonomy or journey (analyze, jobs)."""
