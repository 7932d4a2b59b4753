"""The error contract: one shape for every error; a bad document never fails its batch."""

from __future__ import annotations

import pytest

GOOD = {"id": "ok", "text": "Fast delivery, thanks!"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and len(body["error"]["message"]) > 10
    return body["error"]


def test_invalid_json(client):
    response = client.post("/v1/analyze", data="{not json", content_type="application/json")
    error = assert_error(response, 400, "InvalidJson")
    assert "line 1" in error["message"]


def test_invalid_utf8(client):
    body = b'{"documents": [{"id": "a", "text": "caf\xe9"}]}'
    assert_error(
        client.post("/v1/analyze", data=body, content_type="application/json"),
        400,
        "InvalidEncoding",
    )


def test_wrong_content_type(client):
    assert_error(
        client.post("/v1/analyze", data="hello", content_type="text/plain"),
        415,
        "UnsupportedMediaType",
    )


@pytest.mark.parametrize(
    "payload",
    [[], {"documents": []}, {"documents": "text"}, {"docs": [GOOD]}, "just a string"],
)
def test_wrong_shapes(client, payload):
    assert_error(client.post("/v1/analyze", json=payload), 400, "InvalidRequest")


def test_unknown_features(client):
    response = client.post("/v1/analyze", json={"documents": [GOOD], "features": ["colour"]})
    assert "colour" in assert_error(response, 400, "UnknownFeature")["message"]


def test_too_many_documents(client, settings):
    limit = settings.limits.max_documents_per_request
    documents = [{"id": str(i), "text": "ok"} for i in range(limit + 1)]
    error = assert_error(
        client.post("/v1/analyze", json={"documents": documents}), 400, "BatchTooLarge"
    )
    assert str(limit) in error["message"]


def test_body_too_large(client, settings):
    huge = "x" * (10 * 1024 * 1024)
    response = client.post("/v1/analyze", json={"documents": [{"id": "a", "text": huge}]})
    error = assert_error(response, 413, "RequestTooLarge")
    assert str(settings.limits.max_request_bytes) in error["message"]


def test_bad_documents_are_reported_and_the_others_analysed(client, settings):
    limit = settings.limits.max_characters_per_document
    documents = [
        GOOD,
        {"id": "empty", "text": "   \n "},
        {"id": "long", "text": "a" * (limit + 1)},
        {"id": "ctrl", "text": "hello\x00world"},
        {"id": "lang", "text": "hello", "language": "xx"},
        {"id": "badlang", "text": "hello", "language": "english"},
        {"id": "type", "text": 42},
        {"text": "no id"},
        {"id": "score", "text": "ok", "metadata": {"score": 11, "score_type": "nps"}},
        {"id": "ok", "text": "duplicate id"},
        "not an object",
    ]
    response = client.post("/v1/analyze", json={"documents": documents})
    assert response.status_code == 200
    body = response.get_json()
    assert [d["id"] for d in body["documents"]] == ["ok"]
    codes = {(e["id"], e["code"]) for e in body["errors"]}
    assert codes >= {
        ("empty", "EmptyText"),
        ("long", "TextTooLong"),
        ("ctrl", "InvalidText"),
        ("lang", "UnsupportedLanguage"),
        ("badlang", "InvalidLanguage"),
        ("type", "InvalidText"),
        (None, "InvalidDocument"),
        ("score", "InvalidMetadata"),
        ("ok", "DuplicateId"),
    }
    long_error = next(e for e in body["errors"] if e["id"] == "long")
    assert long_error["message"] == f"text has {limit + 1} characters; the limit is {limit}"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/v1/nothing-here", 404, "NotFound"),
        ("get", "/v1/analyze", 405, "MethodNotAllowed"),
        ("delete", "/healthz", 405, "MethodNotAllowed"),
    ],
)
def test_http_errors_share_the_shape(client, method, path, status, code):
    assert_error(getattr(client, method)(path), status, code)


def test_limits_are_published(client, settings):
    body = client.get("/v1/limits").get_json()
    assert body == settings.public_limits()
    assert body["max_documents_per_request"] == settings.limits.max_documents_per_request
    assert body["max_root_causes_per_taxonomy"] == settings.limits.max_root_causes_per_taxonomy


def _refusals(client) -> float:
    exposition = client.get("/metrics").get_data(as_text=True)
    line = 'voc_http_requests_total{endpoint="/v1/analyze",method="POST",status="429"} '
    return next(
        (float(row[len(line) :]) for row in exposition.splitlines() if row.startswith(line)), 0
    )


def test_overload_answers_429_with_retry_after(app, client):
    """Refused before the body is read (this one is not even JSON), counted in the metrics."""
    batcher = app.extensions["voc"].batcher
    saved, before = batcher.max_queued_documents, _refusals(client)
    batcher.max_queued_documents = 0
    try:
        response = client.post("/v1/analyze", json={"documents": [GOOD]})
        unread = client.post("/v1/analyze", data=b"{not json", content_type="application/json")
        health = client.get("/healthz")
    finally:
        batcher.max_queued_documents = saved
    for refused in (response, unread):
        assert_error(refused, 429, "Overloaded")
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    assert _refusals(client) == before + 2
