"""Schemathesis against the served `/openapi.json`, through the real server: every operation,
generated valid and invalid requests, no server error, every answer as documented (status
code, content type, body schema). `st run` does the same at volume (docs/development.md)."""

from __future__ import annotations

import threading

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from voc.service.server import make_server

pytestmark = pytest.mark.slow
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(own_app):
    """A server of its own, on its own database: generated requests store rules, journeys and
    taxonomies, and the session's app must not serve them to the tests that follow."""
    app = own_app()
    settings = app.extensions["voc"].settings
    server = make_server(app, settings, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    yield schemathesis.openapi.from_url(f"http://127.0.0.1:{server.effective_port}/openapi.json")
    server.close()


def test_every_operation_answers_as_documented(api_schema):
    """Each operation with hypothesis directly (schemathesis' pytest plugin predates the
    pytest here); a failure names the operation and the check."""
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def check(case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Exception as err:  # collected so one run reports every failing operation
            failures.append(f"{operation.label}: {type(err).__name__}: {str(err)[:500]}")
    assert operations >= 25
    assert failures == []
